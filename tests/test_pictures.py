"""Pictures for people: nearest upsampling, labelled side-by-side grids, row labels, hidden-pixel
marks, and what a 4x render is."""

import jax
import numpy as np
import pytest

from inrv_jax.errors import InputError
from inrv_jax.model import make_model
from inrv_jax.pictures import (
    HIDDEN_COLOUR,
    caption,
    caption_image,
    check_scale,
    label_rows,
    mark_hidden,
    scale_tag,
    side_by_side,
    upsample_nearest,
)
from inrv_jax.pixels import to_uint8
from inrv_jax.rendering import FromLatents, render
from inrv_jax.settings import replace
from inrv_jax.video_io import tile_grid

from helpers import tiny_settings


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


def test_a_larger_font_makes_a_taller_caption():
    small = caption_image(["target"], [200])
    large = caption_image(["target"], [200], font_size=20)
    assert large.shape[0] >= small.shape[0] + 10 and large.shape[1] == 200


def test_mark_hidden_changes_exactly_the_hidden_pixels_and_borders_them_inside():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 200, (2, 8, 10, 3)).astype(np.uint8)  # never the magenta itself
    hidden = np.zeros((2, 8, 10), bool)
    hidden[0, 4:] = True  # bottom half of frame 0
    hidden[1, 2:6, 3:8] = True  # a box inside frame 1
    out = mark_hidden(frames, hidden, alpha=0.3, outline=1)
    changed = (out != frames).any(axis=-1)
    np.testing.assert_array_equal(changed, hidden)
    border = (out == HIDDEN_COLOUR).all(axis=-1)
    assert not (border & ~hidden).any()
    # frame 0: the hidden rows' outer ring (the frame's edge) and the row next to the observed
    # half are border; the rest is tinted, not painted over
    expected = np.zeros((8, 10), bool)
    expected[4:] = True
    expected[5:7, 1:9] = False
    np.testing.assert_array_equal(border[0], expected)
    # frame 1: the box's own ring; its inside (3 x 3) keeps the data under a tint
    assert border[1].sum() == 4 * 5 - 2 * 3
    np.testing.assert_array_equal(out[1, 3:5, 4:7].astype(int), np.rint(
        0.7 * frames[1, 3:5, 4:7] + 0.3 * np.asarray(HIDDEN_COLOUR)).astype(int))  # fmt: skip
    np.testing.assert_array_equal(mark_hidden(frames, np.zeros_like(hidden)), frames)


def test_mark_hidden_rejects_a_mask_of_another_shape():
    with pytest.raises(InputError, match="same"):
        mark_hidden(np.zeros((2, 8, 8, 3), np.uint8), np.zeros((2, 8, 7), bool))


def test_label_rows_labels_each_band_and_keeps_the_image():
    rng = np.random.default_rng(0)
    tiles = rng.integers(0, 256, (3, 4, 1, 10, 10, 3)).astype(np.uint8)  # [R, C, T, h, w, 3]
    image = tile_grid(tiles)[0]  # 3 bands of 10 rows, 2 white rows apart
    out = label_rows(image, ["random", "prior:gaussian", "prior:flow"])
    assert out.shape[0] == image.shape[0]
    np.testing.assert_array_equal(out[:, -image.shape[1] :], image)
    column = out[:, : out.shape[1] - image.shape[1] - 2]
    assert column.shape[1] > 20  # wide enough for the longest label
    for i in range(3):  # some ink in every band's label
        assert (column[i * 12 : i * 12 + 10] < 128).any()
    assert (out[:, column.shape[1] : column.shape[1] + 2] == 255).all()  # the white gap


def test_label_rows_refuses_a_picture_with_another_number_of_rows():
    image = tile_grid(np.zeros((5, 8, 1, 64, 64, 3), np.uint8))[0]  # 5 bands
    assert label_rows(image, list("abcde")).shape[0] == image.shape[0]
    for labels in (list("abcd"), list("abcdef"), list("abcdefghij")):
        with pytest.raises(InputError, match="label"):
            label_rows(image, labels)


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
    official = replace(tiny_settings(**{"model.inr.num_freqs": 1}).model, {"inr.grid": ()})
    model = make_model(official, 2)  # grid (): the official align-corners grid at every size
    params = model.init(jax.random.key(0))
    z = jax.random.normal(jax.random.key(1), (2, 64))
    lo = np.asarray(render(FromLatents(model, params, z), (2, 8, 8)))  # [2, 2, 8, 8, 3]
    hi = np.asarray(render(FromLatents(model, params, z), (2, 32, 32)))
    np.testing.assert_allclose(hi[:, :, ::31, ::31], lo[:, :, ::7, ::7], atol=1e-5)  # corners
    pooled = hi.reshape(2, 2, 8, 4, 8, 4, 3).mean(axis=(3, 5))
    err = np.abs(pooled - lo).mean()
    neighbour = np.abs(np.diff(lo, axis=3)).mean()  # how much adjacent 1x pixels differ
    assert neighbour > 1e-3  # the video is not flat, so the comparison means something
    assert err < 0.5 * neighbour
    assert np.abs(pooled - lo).max() > 1e-4  # approximate: the centres differ
