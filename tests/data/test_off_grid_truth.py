"""Ground truth off the training grid (benchmarks/continuity.py): at the training size and frame
times it is the training clip byte for byte; elsewhere it is the same scene at another size or
moment."""

import numpy as np
import pytest

from inrv_jax.data.builtin import off_grid_truth
from inrv_jax.data.options import ClipOptions
from inrv_jax.data.sources import open_source


def _centroid(frame: np.ndarray) -> np.ndarray:
    """Brightness-weighted (y, x) centre of a uint8 [H, W, 3] frame, in frame fractions."""
    mass = frame.astype(np.float64).sum(-1)
    ys, xs = np.mgrid[: frame.shape[0], : frame.shape[1]]
    return np.array([(ys * mass).sum(), (xs * mass).sum()]) / mass.sum() / frame.shape[:2]


def test_shapes_truth_is_the_clip_on_the_grid_and_the_same_scene_off_it():
    opts = ClipOptions(frames=6, size=(16, 16), num_videos=3, seed=4)
    source = open_source("shapes", opts)
    for i in range(3):
        np.testing.assert_array_equal(
            off_grid_truth("shapes", opts, i, (16, 16), np.arange(6.0)), source.load(i)
        )
    up = off_grid_truth("shapes", opts, 0, (64, 64), np.arange(6.0))
    assert up.shape == (6, 64, 64, 3)
    # 4x frames area-averaged back to 16x16 are the training frames up to rounding: one scene.
    pooled = up.astype(np.float64).reshape(6, 16, 4, 16, 4, 3).mean(axis=(2, 4))
    assert np.abs(pooled - source.load(0)).mean() < 2.0  # measured 1.1; another clip: 24
    # A half-way moment sits between its neighbours (shapes move on straight lines between
    # bounces): its centroid is within the span of the two neighbouring centroids.
    half = off_grid_truth("shapes", opts, 0, (16, 16), [2.5])[0]
    a, b = (_centroid(f) for f in source.load(0)[2:4])
    c = _centroid(half)
    assert np.all(c >= np.minimum(a, b) - 1e-3) and np.all(c <= np.maximum(a, b) + 1e-3)
    assert not np.array_equal(half, source.load(0)[2])


def test_atari_truth_replays_the_same_emulator_frames():
    pytest.importorskip("ale_py")
    opts = ClipOptions(frames=4, size=(16, 16), num_videos=3, builtin={"games": "pong,breakout"})
    source = open_source("atari", opts)
    for i in range(3):
        clip = source.load(i)
        np.testing.assert_array_equal(
            off_grid_truth("atari", opts, i, (16, 16), np.arange(4)), clip
        )
        big = off_grid_truth("atari", opts, i, (64, 64), np.arange(4))
        pooled = big.astype(np.float64).reshape(4, 16, 4, 16, 4, 3).mean(axis=(2, 4))
        assert np.abs(pooled - clip).mean() < 3.0  # area resizes of one screen (measured <= 1.4)
        half = off_grid_truth("atari", opts, i, (16, 16), np.arange(3) + 0.5)
        assert half.shape == (3, 16, 16, 3)
    with pytest.raises(ValueError, match="half-way"):
        off_grid_truth("atari", opts, 0, (16, 16), [0.25])


def test_a_dataset_without_a_generator_says_which_have_one():
    with pytest.raises(ValueError, match="shapes"):
        off_grid_truth("sample_clips", ClipOptions(frames=2, size=(8, 8)), 0, (8, 8), [0, 1])
