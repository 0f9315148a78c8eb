"""Built-in datasets: shapes, moving_digits, sample_clips (atari: test_atari.py)."""

from __future__ import annotations

import numpy as np
import pytest

from inrv_jax.data import open_source
from inrv_jax.data.builtin import render_shapes, sample_video_files, shapes_factors
from inrv_jax.data.errors import DataError


def test_shapes_default_is_small_and_deterministic():
    a = open_source("shapes", frames=8, size=(32, 32))
    b = open_source("shapes", frames=8, size=(32, 32))
    c = open_source("shapes", frames=8, size=(32, 32), seed=1)
    assert len(a) == 8
    assert a.manifest == b.manifest
    assert a.manifest.paths == [f"shapes/{i}" for i in range(8)]
    np.testing.assert_array_equal(a.load(3), b.load(3))
    assert not np.array_equal(a.load(3), c.load(3))
    clip = a.load(0)
    assert clip.shape == (8, 32, 32, 3) and clip.dtype == np.uint8
    assert not np.array_equal(clip[0], clip[-1]), "shapes move"


def test_shapes_factors_are_controlled():
    factors = shapes_factors(5, seed=0, count=2, kinds=("circle",), radius=0.2, speed=0.05)
    for video in factors:
        assert len(video) == 2
        for shape in video:
            assert shape["kind"] == "circle" and shape["radius"] == pytest.approx(0.2)
            assert np.hypot(*shape["velocity"]) == pytest.approx(0.05)
            assert all(0.2 <= p <= 0.8 for p in shape["start"])


def test_shapes_render_is_antialiased_and_stays_inside():
    shape = {
        "kind": "circle",
        "colour": [255, 255, 255],
        "radius": 0.25,
        "start": [0.5, 0.5],
        "velocity": [0.3, 0.2],
    }
    video = render_shapes([shape], 12, (32, 32))
    values = np.unique(video)
    assert len(values) > 4, "edges are blended, not binary"
    area = video[..., 0].astype(float).sum(axis=(1, 2)) / 255
    expected = np.pi * (0.25 * 32) ** 2
    assert np.all(np.abs(area - expected) < 0.05 * expected), "never clipped by the border"


def test_shapes_options_reach_the_renderer():
    source = open_source("shapes", frames=4, size=(16, 24), num_videos=3, count=1, length=10)
    assert len(source) == 3 and source.load(0).shape == (4, 16, 24, 3)
    assert source.manifest.settings["builtin"] == {"count": 1, "length": 10}


def test_moving_digits():
    source = open_source("moving_digits", frames=6, size=(64, 64), num_videos=3)
    clip = source.load(0)
    assert clip.shape == (6, 64, 64, 3)
    assert np.array_equal(clip[..., 0], clip[..., 2]), "white digits on black"
    assert 0.02 < (clip[..., 0] > 128).mean() < 0.5
    again = open_source("moving_digits", frames=6, size=(64, 64), num_videos=3)
    np.testing.assert_array_equal(again.load(2), source.load(2))


def test_sample_clips_are_windows_of_the_packaged_videos():
    names = [f.rsplit("/", 1)[-1] for f in sample_video_files()]
    assert "carphone_pristine.mp4" in names
    source = open_source(
        "sample_clips", frames=8, size=(16, 16), stride=2, hop=20, videos=["carphone_pristine"]
    )
    assert len(source) == 6  # 120 frames, windows of 15 every 20
    starts = [e.frame_start for e in source.manifest]
    assert starts == [0, 20, 40, 60, 80, 100]
    assert all(e.frame_stop - e.frame_start == 15 for e in source.manifest)
    assert len({e.key() for e in source.manifest}) == 6
    assert source.manifest.index_of("sample_clips/carphone_pristine.mp4@40") == 2
    # A window is the same frames whichever clip it was cut for.
    long = open_source(
        "sample_clips", frames=8, size=(16, 16), stride=2, hop=20, length=35,
        videos=["carphone_pristine"], window="random",
    )  # fmt: skip
    np.testing.assert_array_equal(long.full(0)[20:35:2], source.load(1))


def test_sample_clips_choose_a_smaller_hop_for_more_clips():
    # 132 + 250 + 120 + 120 frames: hop 8 (= length) cuts 77 clips of 8, hop 7 cuts 87, hop 6 100.
    source = open_source("sample_clips", frames=8, size=(16, 16), num_videos=100, preload=False)
    assert len(source) == 100 and len({e.key() for e in source.manifest}) == 100
    starts = [e.frame_start for e in source.manifest if e.path.endswith("bikes.mp4")]
    assert starts == list(range(0, 241, 6))
    default = open_source("sample_clips", frames=8, size=(16, 16), num_videos=20, preload=False)
    assert [e.frame_start for e in default.manifest][::4] == [0, 8, 16, 24, 32]
    with pytest.raises(DataError, match="1000 clips of 8 frames asked; .* hold 594") as err:
        open_source("sample_clips", frames=8, size=(16, 16), num_videos=1000, preload=False)
    assert err.value.reason == "too_few_clips"


def test_sample_clips_splits_hold_disjoint_later_frames():
    """heldout_frac 0.3: training clips from each video's first 70 % of frames, validation from
    the next 15 %, test from the last 15 %; no frame is in two splits."""
    frames = {}
    for split in ("train", "validation", "test"):
        source = open_source("sample_clips", frames=8, size=(16, 16), split=split,
                             heldout_frac=0.3, preload=False)  # fmt: skip
        frames[split] = {(e.path, f) for e in source.manifest
                         for f in range(e.frame_start, e.frame_stop)}  # fmt: skip
    assert not frames["train"] & frames["validation"]
    assert not frames["train"] & frames["test"]
    assert not frames["validation"] & frames["test"]
    bikes = {s: [f for p, f in frames[s] if p.endswith("bikes.mp4")] for s in frames}
    assert max(bikes["train"]) < 175 <= min(bikes["validation"])  # 250 frames, 75 held out
    assert max(bikes["validation"]) < 212 <= min(bikes["test"])
    with pytest.raises(DataError, match="split 'heldout'"):
        open_source("sample_clips", frames=8, size=(16, 16), split="heldout", heldout_frac=0.3)
