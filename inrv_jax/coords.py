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


def _centred_axis(n_out: int, n_train: int) -> np.ndarray:
    """Coordinates of the pixel centres of an ``n_out``-pixel axis covering the same extent as
    the ``n_train``-pixel training axis: the centre at fraction u = (j + 0.5) / n_out of the
    frame is training index u * n_train - 0.5. Equals ``axis_values(n_train)`` when the sizes
    agree; a 4x axis reaches slightly past [-1, 1]. f32[n_out]."""
    idx = (np.arange(n_out, dtype=np.float64) + 0.5) * n_train / n_out - 0.5
    return ((idx / max(n_train - 1, 1) - 0.5) * 2.0).astype(np.float32)


def output_grid(
    shape: tuple[int, int, int],
    train_shape: tuple[int, ...] | None = None,
    times: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Where the pixels of a (T, H, W) rendering of a model trained on ``train_shape`` lie.

    Space: pixels are areas, so an H x W rendering puts its pixel centres at their true
    positions inside the training frame (a 4x pixel centre is not a training pixel centre;
    ``coords.make_grid``'s align-corners grid is only right at the training size). Time: frames
    are instants, the first and last at -1 and 1 (``axis_values``) or at explicit ``times``.

    Args:
      shape: (T, H, W) of the rendering.
      train_shape: (T, H, W) of the training grid; None or (): ``shape`` (the official grid).
      times: optional explicit frame times f32[T] in [-1, 1].

    Returns:
      (coords f32[T*H*W, 3] t-major, footprint f32[3]: the box width of one output pixel/frame
      per axis in coordinate units, for integrated encodings; explicit ``times`` get the
      training frame spacing).
    """
    t, h, w = (int(x) for x in shape)
    tt, th, tw = (int(x) for x in (train_shape or shape))
    time = axis_values(t) if times is None else np.asarray(times, np.float32)
    if time.shape != (t,):
        raise ValueError(f"times must have shape ({t},), got {time.shape}")
    grid = np.meshgrid(time, _centred_axis(h, th), _centred_axis(w, tw), indexing="ij")
    coords = np.stack(grid, axis=-1).reshape(-1, 3)
    t_step = 2.0 / max(tt - 1, 1) if times is not None or t == 1 else 2.0 / (t - 1)
    footprint = np.array(
        [t_step, 2.0 / max(th - 1, 1) * th / h, 2.0 / max(tw - 1, 1) * tw / w], np.float32
    )
    return coords, footprint


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
