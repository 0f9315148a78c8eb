"""The text forms of options: integer tuples ("H,W", "T,H,W") and crop boxes ("y0:y1,x0:x1").

Command lines and config strings parse through here, so each form has one grammar and one error.
"""

from __future__ import annotations

from typing import Any

from inrv_jax.data.errors import DataError
from inrv_jax.errors import InputError

# (y0, y1, x0, x1), half-open pixel ranges; None means the frame edge.
CropBox = tuple[int | None, int | None, int | None, int | None]


def parse_ints(
    text: str | None, n: int | None = None, name: str = "value"
) -> tuple[int, ...] | None:
    """``"16,16"`` (or ``"16x16"``) -> (16, 16); None stays None.

    Args:
      text: integers separated by "," or "x" (spaces allowed around them).
      n: the number of integers required (None: any number, at least one).
      name: what the text is, for the error (e.g. "--size").

    Raises:
      InputError naming `name` when the text is not exactly that.
    """
    if text is None:
        return None
    try:
        values = tuple(int(x) for x in text.lower().replace("x", ",").split(","))
    except ValueError:
        values = ()
    if not values or (n is not None and len(values) != n):
        count = f"{n} " if n is not None else ""
        raise InputError(f"{name} needs {count}comma-separated integers, got {text!r}")
    return values


def parse_crop(crop: Any) -> str | CropBox:
    """Normalises a crop setting.

    Accepts "center" (largest centred box of the output's aspect ratio: a square for square
    output), "none" (whole frame, aspect may change), a
    4-sequence (y0, y1, x0, x1) with None for an open edge, or the same as a string
    "y0:y1,x0:x1" (e.g. ":,140:500" keeps columns 140-499, as the official How2Sign loader).
    """
    if crop is None:
        return "none"
    if isinstance(crop, str):
        text = crop.strip().lower()
        if text in ("center", "centre"):
            return "center"
        if text in ("none", "full"):
            return "none"
        try:
            rows, cols = text.split(",")
            (y0, y1), (x0, x1) = (_parse_range(rows), _parse_range(cols))
        except ValueError as exc:
            raise DataError(
                "",
                "bad_crop",
                f"cannot parse crop {crop!r}",
                'use "center", "none", or "y0:y1,x0:x1" such as ":,140:500"',
            ) from exc
        return (y0, y1, x0, x1)
    values = tuple(crop)
    if len(values) != 4:
        raise DataError(
            "", "bad_crop", f"crop box {crop!r} needs 4 values", "give (y0, y1, x0, x1)"
        )
    return tuple(None if v is None else int(v) for v in values)  # type: ignore[return-value]


def _parse_range(text: str) -> tuple[int | None, int | None]:
    if text.strip() in ("", ":"):
        return None, None
    lo, hi = text.split(":")
    return (int(lo) if lo.strip() else None, int(hi) if hi.strip() else None)
