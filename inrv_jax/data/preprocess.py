"""Per-frame preprocessing: crop, antialiased resize and colour policy.

Every source turns its raw frames into `uint8 [T, H, W, 3]` clips with one `Preprocess`; the
pipeline turns those into `float32` in [-1, 1] with `inrv_jax.pixels.to_unit_range`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image

from inrv_jax.data.errors import DataError
from inrv_jax.data.parsing import CropBox, parse_crop

GRAYSCALE_POLICIES = ("convert", "error")
ALPHA_POLICIES = ("drop", "error")
HIGH_BIT_DEPTH_POLICIES = ("error", "convert")


def window_span(frames: int, stride: int) -> int:
    """Number of source frames a clip of `frames` frames at `stride` covers."""
    return (frames - 1) * stride + 1


@dataclasses.dataclass(frozen=True)
class Preprocess:
    """How raw frames become training frames.

    Attributes:
      size: output (H, W).
      crop: see `parse_crop`.
      grayscale: "convert" replicates the gray channel to RGB; "error" rejects gray input.
      alpha: "drop" discards the alpha channel (colours are kept as stored, not composited);
        "error" rejects input with alpha.
      high_bit_depth: 16-bit-per-channel input: "error" (default) rejects it, "convert" keeps
        the 8 most significant bits.
    """

    size: tuple[int, int]
    crop: str | CropBox = "center"
    grayscale: str = "convert"
    alpha: str = "drop"
    high_bit_depth: str = "error"

    def __post_init__(self):
        object.__setattr__(self, "size", (int(self.size[0]), int(self.size[1])))
        object.__setattr__(self, "crop", parse_crop(self.crop))
        for name, allowed in (
            ("grayscale", GRAYSCALE_POLICIES),
            ("alpha", ALPHA_POLICIES),
            ("high_bit_depth", HIGH_BIT_DEPTH_POLICIES),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if min(self.size) < 1:
            raise ValueError(f"size must be positive, got {self.size}")

    def key(self) -> dict:
        """A JSON-able description, part of every disk-cache key."""
        return dataclasses.asdict(self)

    def crop_box(self, height: int, width: int, path: str) -> tuple[int, int, int, int]:
        """Returns the (left, top, right, bottom) crop of a `height` x `width` frame."""
        if self.crop == "none":
            return (0, 0, width, height)
        if self.crop == "center":
            # Largest centred box with the output's aspect ratio (a square for square output).
            out_h, out_w = self.size
            crop_w = min(width, round(height * out_w / out_h))
            crop_h = min(height, round(crop_w * out_h / out_w))
            top, left = (height - crop_h) // 2, (width - crop_w) // 2
            return (left, top, left + crop_w, top + crop_h)
        y0, y1, x0, x1 = self.crop
        y0, y1, x0, x1 = (
            y0 or 0,
            height if y1 is None else y1,
            x0 or 0,
            width if x1 is None else x1,
        )
        if not (0 <= y0 < y1 <= height and 0 <= x0 < x1 <= width):
            raise DataError(
                path,
                "crop_outside_frame",
                f"crop rows {y0}:{y1}, columns {x0}:{x1} do not fit a {height}x{width} frame",
                "choose a crop box inside the frame or use crop='center'",
            )
        return (x0, y0, x1, y1)

    def check_format(self, fmt, path: str) -> list[str]:
        """Applies the colour policies to a PyAV `VideoFormat`.

        Returns notes about conversions made (for `inrv data check`); raises DataError when a
        policy says "error".
        """
        notes = []
        comps = fmt.components
        has_alpha = any(c.is_alpha for c in comps)
        colour = [c for c in comps if not c.is_alpha]
        bits = max(c.bits for c in comps)
        if bits >= 16:
            if self.high_bit_depth == "error":
                raise DataError(
                    path,
                    "high_bit_depth",
                    f"{bits}-bit-per-channel pixels ({fmt.name}); training uses 8-bit RGB",
                    "convert the frames to 8-bit (e.g. ffmpeg -pix_fmt rgb24) or pass "
                    "high_bit_depth='convert' to keep the top 8 bits",
                )
            notes.append(f"{bits}-bit pixels reduced to 8 bits")
        if len(colour) == 1 and not fmt.has_palette:
            if self.grayscale == "error":
                raise DataError(
                    path,
                    "grayscale",
                    f"grayscale pixels ({fmt.name})",
                    "convert to RGB or pass grayscale='convert' to replicate the channel",
                )
            notes.append("grayscale replicated to RGB")
        if has_alpha:
            if self.alpha == "error":
                raise DataError(
                    path,
                    "alpha",
                    f"pixels carry an alpha channel ({fmt.name})",
                    "flatten the frames to RGB or pass alpha='drop' to discard alpha",
                )
            notes.append("alpha channel dropped")
        return notes

    def apply(self, image: Image.Image, path: str) -> np.ndarray:
        """Crops and resizes one RGB PIL image. Returns uint8 [H, W, 3]."""
        box = self.crop_box(image.height, image.width, path)
        height, width = self.size
        if box == (0, 0, image.width, image.height) and image.size == (width, height):
            return np.asarray(image, dtype=np.uint8)
        # Pillow's bicubic filter widens with the scale factor, so downscaling is antialiased;
        # `reducing_gap` first box-reduces very large frames, which is much faster.
        out = image.resize((width, height), Image.Resampling.BICUBIC, box=box, reducing_gap=3.0)
        return np.asarray(out, dtype=np.uint8)

    def apply_array(self, frames: np.ndarray, path: str) -> np.ndarray:
        """Crops and resizes uint8 [T, H0, W0, 3] frames. Returns uint8 [T, H, W, 3]."""
        return np.stack([self.apply(Image.fromarray(f), path) for f in frames])
