"""Pixel-coordinate grids in the official INR-V convention, coordinate sampling and chunking.

A video of T frames of H×W pixels is the set of coordinates (t, h, w), each scaled to
[-1, 1] as ``(x / max(n - 1, 1) - 0.5) * 2`` and flattened t-major, then h, then w —
exactly the layout of the official code, so pixel index ``i`` of a flattened grid is
``(i // (H*W), (i // W) % H, i % W)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import jax
import jax.numpy as jnp
import numpy as np


def axis_values(n: int) -> np.ndarray:
    """Official coordinate values of one axis with ``n`` samples. Returns f32[n] in [-1, 1]."""
    return ((np.arange(n, dtype=np.float64) / max(n - 1, 1) - 0.5) * 2.0).astype(np.float32)


def make_grid(frames: int, height: int, width: int, times: np.ndarray | None = None) -> np.ndarray:
    """The full coordinate grid of a video.

    Args:
      frames, height, width: grid size.
      times: optional explicit time values f32[frames] in [-1, 1] (e.g. frames between the
        training frames); defaults to ``axis_values(frames)``.

    Returns:
      f32[frames * height * width, 3] of (t, h, w), t-major.
    """
    t = axis_values(frames) if times is None else np.asarray(times, np.float32)
    if t.shape != (frames,):
        raise ValueError(f"times must have shape ({frames},), got {t.shape}")
    tt, hh, ww = np.meshgrid(t, axis_values(height), axis_values(width), indexing="ij")
    return np.stack([tt, hh, ww], axis=-1).reshape(-1, 3)


def sample_indices(key: jax.Array, num_total: int, num: int) -> jax.Array:
    """``num`` distinct pixel indices out of ``num_total``, uniformly. Returns i32[num]."""
    if not 0 < num <= num_total:
        raise ValueError(f"cannot sample {num} of {num_total} coordinates")
    if num == num_total:
        return jnp.arange(num_total, dtype=jnp.int32)
    return jax.random.choice(key, num_total, (num,), replace=False).astype(jnp.int32)


def num_sampled(num_total: int, sample_frac: float) -> int:
    """How many coordinates a step uses for a sampling fraction in (0, 1]."""
    if not 0.0 < sample_frac <= 1.0:
        raise ValueError(f"sample_frac must be in (0, 1], got {sample_frac}")
    return max(1, int(round(num_total * sample_frac)))


def iter_chunks(num: int, chunk: int) -> Iterator[slice]:
    """Slices covering ``range(num)`` in pieces of at most ``chunk``."""
    if chunk <= 0:
        raise ValueError(f"chunk must be positive, got {chunk}")
    for start in range(0, num, chunk):
        yield slice(start, min(start + chunk, num))
