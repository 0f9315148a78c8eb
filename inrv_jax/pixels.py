"""The one conversion between stored pixels (uint8 [0, 255]) and model pixels (float32 [-1, 1]).

The bottom layer: numpy only, so data, video writing, tasks and training all import it without
pulling in anything heavier.
"""

from __future__ import annotations

import numpy as np


def to_unit_range(video: np.ndarray) -> np.ndarray:
    """uint8 [..., 3] in [0, 255] -> float32 in [-1, 1] (the official pixel range).

    Works on numpy and jax arrays alike (the result has the input's array type).
    """
    return video.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)


def to_uint8(video: np.ndarray) -> np.ndarray:
    """Model-scale [-1, 1] floats -> clipped, quantised uint8 (same shape).

    The inverse of `to_unit_range` on its image: `to_uint8(to_unit_range(u8)) == u8`.
    """
    return np.clip(np.rint((np.asarray(video, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)
