"""Pictures for people: nearest upsampling, labelled side-by-side grids, and what a 4x render is."""

import jax
import numpy as np
import pytest

from inrv_jax.errors import InputError
from inrv_jax.model import make_model
from inrv_jax.pictures import (
    caption,
    caption_image,
    check_scale,
    scale_tag,
    side_by_side,
    upsample_nearest,
)
from inrv_jax.pixels import to_uint8

from helpers import tiny_config


def test_upsample_nearest_repeats_each_pixel_as_a_block():
    x = np.arange(6, dtype=np.float32).reshape(1, 2, 3, 1)  # [T, h, w, C]
    up = upsample_nearest(x, (4, 6))
    assert up[0, :, :, 0].tolist() == [
        [0, 0, 1, 1, 2, 2],
        [0, 0, 1, 1, 2, 2],
        [3, 3, 4, 4, 5, 5],
        [3, 3, 4, 4, 5, 5],
    ]
    # a non-integer ratio picks the pixel each output pixel falls in: 3 -> 4 columns = 0, 0, 1, 2
    assert upsample_nearest(x, (2, 4))[0, 0, :, 0].tolist() == [0, 0, 1, 2]


def _tiles(grid, rows, cols, h, w, pad=2):
    """Cut u8[T, C + rows*(h+pad)-pad, cols*(w+pad)-pad, 3] back into [rows, cols, T, h, w, 3]."""
    top = grid.shape[1] - (rows * (h + pad) - pad)
    return np.stack(
        [
            np.stack([grid[:, top + i * (h + pad) :][:, :h, j * (w + pad) :][:, :, :w]
                      for j in range(cols)])
            for i in range(rows)
        ]
    )  # fmt: skip


def test_side_by_side_is_4x_and_its_target_half_is_the_nearest_upsampled_target_exactly():
    rng = np.random.default_rng(0)
    target = rng.uniform(-1, 1, (2, 3, 8, 10, 3)).astype(np.float32)  # [R, T, h, w, 3]
    render = rng.uniform(-1, 1, (2, 3, 32, 40, 3)).astype(np.float32)  # rendered at 4x
    grid = side_by_side([("target", target), ("render 4x", render)])
    caption_rows = grid.shape[1] - (2 * (32 + 2) - 2)
    assert grid.shape == (3, caption_rows + 2 * 34 - 2, 2 * 42 - 2, 3)
    assert caption_rows >= 12  # a line of text
    tiles = _tiles(grid, 2, 2, 32, 40)
    expected = to_uint8(np.repeat(np.repeat(target, 4, axis=2), 4, axis=3))
    np.testing.assert_array_equal(tiles[:, 0], expected)
    np.testing.assert_array_equal(tiles[:, 1], to_uint8(render))
    strip = grid[0, :caption_rows]
    assert (strip[:, :40] < 128).any() and (strip[:, 42:] < 128).any()  # both columns labelled


def test_side_by_side_rejects_columns_of_different_videos_or_frames():
    a = np.zeros((2, 3, 4, 4, 3), np.float32)
    with pytest.raises(InputError, match="same"):
        side_by_side([("a", a), ("b", a[:1])])
    with pytest.raises(InputError, match="at least one"):
        side_by_side([])


def test_captions_wrap_to_the_column_and_sit_above_every_frame():
    one_line = caption_image(["target (nearest 4x)"], [200])
    wrapped = caption_image(["target (nearest 4x)"], [40])
    assert one_line.shape[1] == 200 and wrapped.shape[1] == 40
    assert wrapped.shape[0] > one_line.shape[0]  # two or more lines
    frames = np.zeros((3, 5, 200, 3), np.uint8)
    out = caption(frames, "rows: pairs")
    assert out.shape == (3, one_line.shape[0] + 5, 200, 3)
    np.testing.assert_array_equal(out[:, -5:], frames)
    np.testing.assert_array_equal(out[0, :-5], out[2, :-5])


def test_scale_checks_and_tags():
    assert check_scale(4) == 4 and scale_tag(4) == "_4x" and scale_tag(1) == ""
    for bad in (0, -2, 2.5):
        with pytest.raises(InputError, match="--scale"):
            check_scale(bad)


def test_4x_render_agrees_with_the_1x_render_only_approximately():
    """The official grid puts pixel i of n at -1 + 2i/(n-1): the corners are shared by every
    resolution, but inside, a 4x pixel centre (4i+k)/(4n-1) is never a 1x centre i/(n-1). A 4x4
    block's mean centre sits within 3/8 of a 1x pixel of the 1x centre, so on a smooth INR (one
    positional-encoding frequency) the block average is close to the 1x pixel, by much less than
    neighbouring 1x pixels differ, yet not equal."""
    c = tiny_config(**{"model.inr.num_freqs": 1})
    model = make_model(c.model, 2)
    params = model.init(jax.random.key(0))
    z = jax.random.normal(jax.random.key(1), (2, 64))
    lo = np.asarray(model.render_videos(params, z, (2, 8, 8)))  # [2, 2, 8, 8, 3]
    hi = np.asarray(model.render_videos(params, z, (2, 32, 32)))
    np.testing.assert_allclose(hi[:, :, ::31, ::31], lo[:, :, ::7, ::7], atol=1e-5)  # corners
    pooled = hi.reshape(2, 2, 8, 4, 8, 4, 3).mean(axis=(3, 5))
    err = np.abs(pooled - lo).mean()
    neighbour = np.abs(np.diff(lo, axis=3)).mean()  # how much adjacent 1x pixels differ
    assert neighbour > 1e-3  # the video is not flat, so the comparison means something
    assert err < 0.5 * neighbour
    assert np.abs(pooled - lo).max() > 1e-4  # approximate: the centres differ
