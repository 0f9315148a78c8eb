"""Pictures for people: nearest-neighbour upsampling and labelled side-by-side comparison grids.

The INR is continuous, so pictures are rendered above the training resolution (``PICTURE_SCALE``
times by default). Ground truth exists only on the training grid; it is shown upsampled by
nearest neighbour, so its pixels stay the data's own, and its label says so. Numpy and Pillow only,
so tasks and training import it without anything heavier.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inrv_jax.errors import InputError
from inrv_jax.pixels import to_uint8
from inrv_jax.video_io import tile_grid

PICTURE_SCALE = 4  # pictures at 4x the training height and width unless told otherwise
_LINE = 12  # caption line height in pixels (Pillow's default 10 px font)
_MARGIN = 2


def check_scale(scale) -> int:
    """A picture scale as an int >= 1, or InputError naming the fix."""
    if isinstance(scale, bool) or int(scale) != scale or scale < 1:
        raise InputError(
            f"--scale {scale}: give a whole number >= 1 (4: pictures at 4x the training size)"
        )
    return int(scale)


def scale_tag(scale: int) -> str:
    """File-name tag of a picture's scale: "_4x" for 4, "" for 1 (the training resolution)."""
    return f"_{scale}x" if scale != 1 else ""


def upsample_nearest(videos: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """[..., h, w, C] -> [..., H, W, C] for ``size`` (H, W): every output pixel copies the
    input pixel it falls in (for H = k*h, each pixel becomes a k×k block of its own value)."""
    (h, w), (lh, lw) = size, videos.shape[-3:-1]
    ys, xs = (np.arange(h) * lh) // h, (np.arange(w) * lw) // w
    return videos[..., ys, :, :][..., xs, :]


def _upsample_label(label: str, small: tuple[int, int], size: tuple[int, int]) -> str:
    (h, w), (H, W) = small, size
    if H % h == 0 and W % w == 0 and H // h == W // w:
        return f"{label} (nearest {H // h}x)"
    return f"{label} (nearest from {h}x{w})"


def _wrap(draw, text: str, width: int, font) -> list[str]:
    """Greedy word wrap of ``text`` to ``width`` pixels (a word wider than that gets its own line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def caption_image(texts: Sequence[str], widths: Sequence[int], pad: int = 2) -> np.ndarray:
    """A white caption strip u8[h, sum(widths) + pad*(len-1), 3]: text i in black above a
    column of ``widths[i]`` pixels (wrapped at spaces to fit; ``h`` fits the longest)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default()
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    wrapped = [
        _wrap(probe, t, max(w - 2 * _MARGIN, 1), font) for t, w in zip(texts, widths, strict=True)
    ]
    height = max(len(lines) for lines in wrapped) * _LINE + 2 * _MARGIN
    image = Image.new("RGB", (sum(widths) + pad * (len(widths) - 1), height), "white")
    draw = ImageDraw.Draw(image)
    left = 0
    for lines, w in zip(wrapped, widths, strict=True):
        for k, line in enumerate(lines):
            draw.text((left + _MARGIN, _MARGIN + k * _LINE), line, fill="black", font=font)
        left += w + pad
    return np.asarray(image)


def caption(frames: np.ndarray, text: str) -> np.ndarray:
    """Put ``text`` above every frame of u8[T, H, W, 3] -> u8[T, h + H, W, 3]."""
    strip = caption_image([text], [frames.shape[2]])
    return np.concatenate([np.broadcast_to(strip, (len(frames), *strip.shape)), frames], axis=1)


def side_by_side(columns: Sequence[tuple[str, np.ndarray]], pad: int = 2) -> np.ndarray:
    """A labelled comparison video: rows = videos, one column per entry, labels on top.

    Columns smaller than the largest are upsampled by nearest neighbour (``upsample_nearest``) to
    its size and their label says so, e.g. "target (nearest 4x)".

    Args:
      columns: (label, videos) pairs; videos f32[R, T, h, w, 3] on the model's [-1, 1] scale
        (clipped and quantised here) or already u8; every column has the same R and T.
      pad: white pixels between tiles.

    Returns:
      u8[T, C + R*(H+pad)-pad, K*(W+pad)-pad, 3] for K columns of largest size H×W and a caption
      strip of C pixels.
    """
    if not columns:
        raise InputError("side_by_side needs at least one (label, videos) column")
    shapes = {tuple(v.shape[:2]) for _, v in columns}
    if len(shapes) != 1:
        raise InputError(f"side_by_side columns need the same [videos, frames]; got {shapes}")
    size = (max(v.shape[2] for _, v in columns), max(v.shape[3] for _, v in columns))
    labels, tiles = [], []
    for label, videos in columns:
        u8 = videos if videos.dtype == np.uint8 else to_uint8(videos)
        if u8.shape[2:4] != size:
            label = _upsample_label(label, u8.shape[2:4], size)
            u8 = upsample_nearest(u8, size)
        labels.append(label)
        tiles.append(u8)
    grid = tile_grid(np.stack(tiles, axis=1), pad)  # [T, R*(H+pad)-pad, K*(W+pad)-pad, 3]
    strip = caption_image(labels, [size[1]] * len(columns), pad)
    # a white gap of ``pad`` between the labels and the first row, like between tiles
    head = np.concatenate([strip, np.full((pad, *strip.shape[1:]), 255, np.uint8)])
    return np.concatenate([np.broadcast_to(head, (len(grid), *head.shape)), grid], axis=1)
