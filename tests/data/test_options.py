"""ClipOptions, the text parsers, the pixel conversion and the registry of source kinds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from inrv_jax.data import ClipOptions, DataError, open_source, source_from_settings
from inrv_jax.data import resolve as resolve_mod
from inrv_jax.data.check import check_source
from inrv_jax.data.clip import Clip
from inrv_jax.data.parsing import parse_crop, parse_ints
from inrv_jax.errors import InputError
from inrv_jax.pixels import to_uint8, to_unit_range
from inrv_jax.settings import DataSettings


def test_options_normalise_and_are_frozen():
    options = ClipOptions(frames=4, size=8, data_dir="", cache_dir="", crop=":,2:6")
    assert options.size == (8, 8) and options.data_dir is None and options.cache_dir is None
    assert options.crop == (None, None, 2, 6) and options.span == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.frames = 5
    with pytest.raises(TypeError):
        options.builtin["count"] = 2  # read-only


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"window": "middle"}, "window must be"),
        ({"on_error": "ignore"}, "on_error must be"),
        ({"frames": 0}, "frames and stride"),
        ({"stride": 0}, "frames and stride"),
        ({"preload": False, "window": "random"}, "preload=False"),
        ({"grayscale": "maybe"}, "grayscale must be"),
        ({"size": (0, 8)}, "size must be positive"),
        ({"size": (8, 8, 8)}, "size must be"),
    ],
)
def test_options_reject_bad_values(bad, match):
    with pytest.raises(ValueError, match=match):
        ClipOptions(**{"frames": 4, "size": (8, 8), **bad})


def test_options_from_settings_kwargs_and_override_agree():
    data = DataSettings(
        spec="shapes", frames=4, size=(8, 8), stride=2, data_dir="", num_videos=3,
        features_path=None, builtin={"count": 1},
    )  # fmt: skip
    from_config = ClipOptions.from_settings(data)
    from_kwargs = ClipOptions.from_kwargs(frames=4, size=(8, 8), stride=2, num_videos=3, count=1)
    assert from_config == from_kwargs
    assert dict(from_config.builtin) == {"count": 1}
    changed = from_config.override(frames=2, length=9)
    assert changed.frames == 2 and dict(changed.builtin) == {"count": 1, "length": 9}
    assert dict(changed.override(builtin={}).builtin) == {}


def test_open_source_takes_options_or_keywords():
    options = ClipOptions(frames=4, size=(8, 8), num_videos=2, builtin={"length": 6})
    a = open_source("shapes", options)
    b = open_source("shapes", frames=4, size=(8, 8), num_videos=2, length=6)
    c = open_source("shapes", ClipOptions(frames=4, size=(8, 8)), num_videos=2, length=6)
    assert a.manifest == b.manifest == c.manifest and a.options == b.options == c.options
    np.testing.assert_array_equal(a.load(1), b.load(1))


def test_builtin_options_are_rejected_for_other_specs_but_ignored_from_configs(video_dir):
    with pytest.raises(TypeError, match="only to built-in"):
        open_source(str(video_dir), frames=4, size=(8, 8), count=2)
    data = DataSettings(spec=str(video_dir), frames=4, size=(8, 8), builtin={"count": 2})
    assert len(source_from_settings(data)) == 3


def test_check_source_takes_the_same_options(video_dir):
    reports = check_source(str(video_dir), ClipOptions(frames=8, size=(16, 16)))
    assert [r.ok for r in reports] == [True, True, True]
    assert not check_source(str(video_dir), ClipOptions(frames=13, size=(16, 16)))[0].ok


def test_parse_ints():
    assert parse_ints("16,16") == parse_ints("16x16") == parse_ints(" 16 X 16 ") == (16, 16)
    assert parse_ints("4,8,9", 3) == (4, 8, 9) and parse_ints("7") == (7,)
    assert parse_ints(None, 2) is None
    for bad in ("16,", "a,b", "", "1.5,2"):
        with pytest.raises(InputError, match="--size needs"):
            parse_ints(bad, name="--size")
    with pytest.raises(InputError, match="--size needs 2 comma-separated integers"):
        parse_ints("1,2,3", 2, "--size")


def test_parse_crop():
    assert parse_crop("Centre") == "center" and parse_crop(None) == "none"
    assert parse_crop("10:20,:") == (10, 20, None, None)
    assert parse_crop([0, 8, None, 4]) == (0, 8, None, 4)
    with pytest.raises(DataError, match="bad_crop"):
        parse_crop("10:20")


def test_pixel_conversion_round_trips():
    u8 = np.arange(256, dtype=np.uint8)
    unit = to_unit_range(u8)
    assert unit.dtype == np.float32 and unit[0] == -1 and unit[-1] == 1
    np.testing.assert_array_equal(to_uint8(unit), u8)
    np.testing.assert_array_equal(to_uint8(np.array([-3.0, 3.0])), [0, 255])  # clipped


def test_spec_kinds_resolve_in_registry_order(tmp_path, monkeypatch, video_dir):
    folder = tmp_path / "shapes"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    assert resolve_mod.find_kind("shapes") is resolve_mod.SOURCE_KINDS["builtin"]
    assert resolve_mod.find_kind("./shapes") is resolve_mod.SOURCE_KINDS["directory"]
    assert resolve_mod.find_kind("tfds:x/train") is resolve_mod.SOURCE_KINDS["tfds"]
    assert resolve_mod.find_kind(str(video_dir / "a.mp4")) is resolve_mod.SOURCE_KINDS["video_file"]
    with pytest.raises(DataError, match="tfds:NAME") as info:
        resolve_mod.find_kind("nowhere.mp4")
    assert info.value.reason == "missing"


def test_a_new_kind_is_one_registry_entry(monkeypatch):
    def clips(spec, prep, options):
        video = np.full((options.span, *options.size, 3), int(spec.split(":")[1]), np.uint8)

        def read(start, stop, stride, sink=None, notes=None):
            return video[start:stop:stride], len(video)

        return [Clip(path=spec, sha256=lambda: spec, read=read)]

    kind = resolve_mod.SourceKind(lambda s: s.startswith("grey:"), clips, "grey:LEVEL")
    monkeypatch.setitem(resolve_mod.SOURCE_KINDS, "grey", kind)
    source = open_source("grey:77", frames=3, size=(4, 4))
    assert source.manifest.paths == ["grey:77"] and (source.load(0) == 77).all()
