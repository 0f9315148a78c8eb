"""File, folder and list-file sources: decoding, preprocessing, manifest, cache, config."""

from __future__ import annotations

import json

import numpy as np
import pytest
from videofixtures import moving_frames, write_frame_folder, write_video

from inrv_jax.data import DataError, Manifest, open_source, source_from_settings
from inrv_jax.data import decode as decode_mod
from inrv_jax.settings import DataSettings, replace


def test_directory_source_loads_every_video(video_dir):
    source = open_source(str(video_dir), frames=8, size=(16, 16))
    assert len(source) == 3
    assert [p.rsplit("/", 1)[-1] for p in source.manifest.paths] == ["a.mp4", "b.mp4", "c_frames"]
    for i in range(3):
        clip = source.load(i)
        assert clip.shape == (8, 16, 16, 3) and clip.dtype == np.uint8
    entry = source.manifest[0]
    assert (entry.frame_start, entry.frame_stop, entry.stride) == (0, 8, 1)
    assert len(entry.sha256) == 64
    assert source.skipped == []


def test_list_file_relative_paths_comments_and_single_file_spec(video_dir, tmp_path):
    listing = tmp_path / "train.txt"
    listing.write_text("# official format: one path per line\nvideos/b.mp4\n\nvideos/c_frames\n")
    source = open_source(str(listing), frames=4, size=(8, 8))
    assert [p.rsplit("/", 1)[-1] for p in source.manifest.paths] == ["b.mp4", "c_frames"]
    single = open_source(str(video_dir / "b.mp4"), frames=4, size=(8, 8))
    np.testing.assert_array_equal(single.load(0), source.load(0))
    assert single.manifest[0].sha256 == source.manifest[0].sha256


def test_frame_folder_is_lossless_and_stride_picks_frames(tmp_path):
    frames = moving_frames(10, 8, 8)
    folder = write_frame_folder(tmp_path / "f", frames)
    source = open_source(folder, frames=4, size=(8, 8), stride=3)
    np.testing.assert_array_equal(source.load(0), frames[0:10:3])
    assert (source.manifest[0].frame_stop, source.manifest[0].stride) == (10, 3)


def test_random_window_is_seeded_and_in_range(tmp_path):
    frames = np.repeat(np.arange(20, dtype=np.uint8)[:, None, None, None] * 10, 4, axis=1)
    frames = np.broadcast_to(frames[:, :, :1], (20, 4, 4, 3)).copy()
    source = open_source(write_frame_folder(tmp_path / "f", frames), frames=3, size=(4, 4),
                         stride=2, window="random")  # fmt: skip
    assert source.manifest[0].frame_stop == 20
    firsts = set()
    for seed in range(20):
        clip = source.load(0, np.random.default_rng(seed))
        values = clip[:, 0, 0, 0] // 10
        assert list(np.diff(values)) == [2, 2] and values[-1] < 20
        firsts.add(int(values[0]))
        np.testing.assert_array_equal(clip, source.load(0, seed))
    assert len(firsts) > 3


def test_crop_box_and_center_crop(tmp_path):
    frames = moving_frames(3, 8, 16)
    folder = write_frame_folder(tmp_path / "f", frames)
    boxed = open_source(folder, frames=3, size=(8, 8), crop=":,4:12")
    np.testing.assert_array_equal(boxed.load(0), frames[:, :, 4:12])
    centre = open_source(folder, frames=3, size=(8, 8))
    np.testing.assert_array_equal(centre.load(0), frames[:, :, 4:12])
    tuple_box = open_source(folder, frames=3, size=(8, 8), crop=(0, 8, 0, 8))
    np.testing.assert_array_equal(tuple_box.load(0), frames[:, :, :8])
    wide = open_source(folder, frames=3, size=(4, 16))  # centre crop keeps the output's aspect
    np.testing.assert_array_equal(wide.load(0), frames[:, 2:6, :])
    with pytest.raises(DataError, match="crop_outside_frame"):
        open_source(folder, frames=3, size=(8, 8), crop=":,10:30")


def test_resize_is_antialiased(tmp_path):
    # A 1-pixel checkerboard averages to mid grey; a nearest-neighbour resize would not.
    board = (np.indices((64, 64)).sum(0) % 2 * 255).astype(np.uint8)
    frames = np.repeat(board[None, ..., None], 3, axis=-1).repeat(2, axis=0)
    source = open_source(write_frame_folder(tmp_path / "f", frames), frames=2, size=(8, 8))
    assert np.abs(source.load(0).astype(int) - 127).max() <= 3


def test_manifest_round_trip_equality_and_index_of(video_dir):
    source = open_source(str(video_dir), frames=8, size=(16, 16))
    again = Manifest.from_json(source.manifest.to_json())
    assert again == source.manifest
    assert json.loads(again.to_json())["settings"]["frames"] == 8
    assert again.index_of(str(video_dir / "b.mp4")) == 1
    with pytest.raises(DataError, match="not_in_manifest"):
        again.index_of("nope.mp4")
    other = open_source(str(video_dir), frames=8, size=(16, 16), num_videos=2)
    assert other.manifest != source.manifest and not other.manifest.same_videos(source.manifest)


def test_num_videos_is_a_prefix(video_dir):
    full = open_source(str(video_dir), frames=8, size=(16, 16))
    two = open_source(str(video_dir), frames=8, size=(16, 16), num_videos=2)
    assert two.manifest.entries == full.manifest.entries[:2]


def test_disk_cache_means_no_decoding_later(video_dir, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = open_source(str(video_dir), frames=8, size=(16, 16), cache_dir=str(cache))
    assert len(list(cache.rglob("*.npy"))) == 3

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded although cached")

    monkeypatch.setattr(decode_mod, "decode_video", no_decoding)
    monkeypatch.setattr(decode_mod, "decode_folder", no_decoding)
    second = open_source(str(video_dir), frames=8, size=(16, 16), cache_dir=str(cache))
    for i in range(3):
        np.testing.assert_array_equal(first.load(i), second.load(i))
    assert second.cache.hits["disk"] == 3
    # Another size is another key: it must decode (and here fails on purpose).
    with pytest.raises(AssertionError, match="decoded although cached"):
        open_source(str(video_dir), frames=8, size=(12, 12), cache_dir=str(cache))


def test_lazy_source_decodes_on_first_load(video_dir):
    lazy = open_source(str(video_dir), frames=8, size=(16, 16), preload=False)
    assert len(lazy.cache) == 0
    eager = open_source(str(video_dir), frames=8, size=(16, 16))
    np.testing.assert_array_equal(lazy.load(2), eager.load(2))
    assert len(lazy.cache) == 1


def test_source_from_settings(video_dir):
    data = DataSettings(
        spec=str(video_dir), frames=4, size=(8, 8), crop="center", stride=2, window="start",
        data_dir="", on_error="raise", num_videos=None, seed=0, cache_dir="",
        builtin={"count": 2},
    )  # fmt: skip
    source = source_from_settings(data)
    assert len(source) == 3 and source.load(0).shape == (4, 8, 8, 3)
    shapes = source_from_settings(replace(data, {"spec": "shapes", "size": (16, 16)}))
    assert shapes.load(0).shape == (4, 16, 16, 3)


def test_mp4_decoding_is_close_to_what_was_written(tmp_path):
    frames = moving_frames(6, 32, 32)
    source = open_source(write_video(tmp_path / "v.mp4", frames), frames=6, size=(32, 32))
    err = np.abs(source.load(0).astype(int) - frames.astype(int)).mean()
    assert err < 12, err  # lossy yuv420p; a wrong frame or channel order gives ~80
