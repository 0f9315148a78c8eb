"""Pictures for people: nearest-neighbour upsampling, labelled side-by-side comparison grids, row
labels, and the pixels a task hid marked on a frame.

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
# Pure green: no pixel of the 512 training Atari clips is within 60 levels of it in any channel,
# and it stands out on their pinks and blues (magenta did not, on Ms. Pac-Man's walls).
HIDDEN_COLOUR = (0, 255, 0)


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


def _font(size: int | None):
    """Pillow's default font: its 10 px bitmap-sized face, or at ``size`` pixels (scalable)."""
    from PIL import ImageFont

    return ImageFont.load_default() if size is None else ImageFont.load_default(size=size)


def _line_height(size: int | None) -> int:
    return _LINE if size is None else round(1.25 * size)


def caption_image(
    texts: Sequence[str], widths: Sequence[int], pad: int = 2, font_size: int | None = None
) -> np.ndarray:
    """A white caption strip u8[h, sum(widths) + pad*(len-1), 3]: text i in black above a
    column of ``widths[i]`` pixels (wrapped at spaces to fit; ``h`` fits the longest).
    ``font_size``: text height in pixels (None: Pillow's default 10 px font)."""
    from PIL import Image, ImageDraw

    font, line = _font(font_size), _line_height(font_size)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    wrapped = [
        _wrap(probe, t, max(w - 2 * _MARGIN, 1), font) for t, w in zip(texts, widths, strict=True)
    ]
    height = max(len(lines) for lines in wrapped) * line + 2 * _MARGIN
    image = Image.new("RGB", (sum(widths) + pad * (len(widths) - 1), height), "white")
    draw = ImageDraw.Draw(image)
    left = 0
    for lines, w in zip(wrapped, widths, strict=True):
        for k, text in enumerate(lines):
            draw.text((left + _MARGIN, _MARGIN + k * line), text, fill="black", font=font)
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


def mark_hidden(
    frames: np.ndarray,
    hidden: np.ndarray,
    colour: tuple[int, int, int] = HIDDEN_COLOUR,
    alpha: float = 0.3,
    outline: int = 2,
) -> np.ndarray:
    """Mark the pixels a task hid, leaving every observed pixel as it was.

    Each hidden pixel is blended towards ``colour`` (weight ``alpha``), so the data stay
    visible under a tint, and the hidden pixels within ``outline`` pixels (Chebyshev) of an
    observed pixel or of the frame's edge take ``colour`` itself: a border drawn inside the
    hidden region, never over an observed pixel.

    Args:
      frames: u8[..., H, W, 3].
      hidden: bool[..., H, W] of the same leading shape: True = hidden from the method.
      colour: RGB of the tint and the border.
      alpha: tint weight in [0, 1] (0: border only).
      outline: border width in pixels (0: tint only).

    Returns:
      u8[..., H, W, 3].
    """
    frames, hidden = np.asarray(frames), np.asarray(hidden, bool)
    if frames.dtype != np.uint8 or frames.shape[-1:] != (3,) or hidden.shape != frames.shape[:-1]:
        raise InputError(
            f"mark_hidden needs u8[..., H, W, 3] frames and a bool[..., H, W] mask of the same "
            f"shape; got {frames.dtype}{list(frames.shape)} and {list(hidden.shape)}"
        )
    if not 0.0 <= alpha <= 1.0 or outline < 0:
        raise InputError(f"mark_hidden: alpha in [0, 1] and outline >= 0; got {alpha}, {outline}")
    c = np.asarray(colour, np.float32)
    out = frames.astype(np.float32)
    out = np.where(hidden[..., None], (1.0 - alpha) * out + alpha * c, out)
    if outline:
        # the hidden pixels whose whole (2*outline+1)^2 window is hidden and inside the frame
        h, w = hidden.shape[-2:]
        edges = [(0, 0)] * (hidden.ndim - 2) + [(outline, outline)] * 2
        padded = np.pad(hidden, edges, constant_values=False)
        interior = hidden.copy()
        for dy in range(2 * outline + 1):
            for dx in range(2 * outline + 1):
                interior &= padded[..., dy : dy + h, dx : dx + w]
        out[hidden & ~interior] = c
    return np.rint(out).astype(np.uint8)


def label_rows(
    image: np.ndarray,
    labels: Sequence[str],
    pad: int = 2,
    width: int | None = None,
    font_size: int | None = None,
) -> np.ndarray:
    """Put a label left of each row band of a grid picture (``video_io.tile_grid``'s layout).

    Args:
      image: u8[H, W, 3], ``len(labels)`` bands of equal height separated by ``pad`` white rows
        (H = R*(h+pad)-pad); anything else is an InputError, so a picture with another number of
        rows is never labelled wrongly.
      labels: one text per band, top to bottom; drawn black, vertically centred in its band,
        wrapped at spaces to the column.
      pad: white rows between bands, and white columns between the labels and the image.
      width: label column width in pixels (None: the widest label's).
      font_size: text height in pixels (None: Pillow's default 10 px font).

    Returns:
      u8[H, width + pad + W, 3]: the label column, a white gap, then ``image`` unchanged.
    """
    from PIL import Image, ImageDraw

    image, rows = np.asarray(image), len(labels)
    if image.ndim != 3 or image.dtype != np.uint8 or image.shape[2] != 3:
        raise InputError(f"label_rows needs an image u8[H, W, 3]; got {image.dtype}{image.shape}")
    if rows < 1 or (image.shape[0] + pad) % rows:
        raise InputError(
            f"label_rows: {rows} labels cannot split {image.shape[0]} rows into bands of equal "
            f"height {pad} white rows apart"
        )
    h = (image.shape[0] + pad) // rows - pad
    gaps = [image[i * (h + pad) + h : (i + 1) * (h + pad)] for i in range(rows - 1)]
    if h < 1 or any((g != 255).any() for g in gaps):
        raise InputError(
            f"label_rows: the image is not {rows} bands of {h} rows {pad} white rows apart; "
            "give one label per row of the picture"
        )
    font, line = _font(font_size), _line_height(font_size)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    if width is None:
        width = max(int(np.ceil(probe.textlength(t, font=font))) for t in labels) + 2 * _MARGIN
    column = Image.new("RGB", (width, image.shape[0]), "white")
    draw = ImageDraw.Draw(column)
    for i, text in enumerate(labels):
        lines = _wrap(probe, text, max(width - 2 * _MARGIN, 1), font)
        top = i * (h + pad) + max((h - len(lines) * line) // 2, 0)
        for k, part in enumerate(lines):
            draw.text((_MARGIN, top + k * line), part, fill="black", font=font)
    gap = np.full((image.shape[0], pad, 3), 255, np.uint8)
    return np.concatenate([np.asarray(column), gap, image], axis=1)
