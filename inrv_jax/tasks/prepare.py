"""A task applied to videos: what the inversion may see of them, what the baselines see, and
which pixels are scored (``prepare``). Below both the inversion command (``tasks.invert``) and
the baselines (``tasks.baselines``), so neither imports the other.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from inrv_jax import masks as masks_lib
from inrv_jax.pictures import upsample_nearest
from inrv_jax.tasks.inversion import Observations, observe


@dataclasses.dataclass
class Prepared:
    """A task applied to B videos.

    Attributes:
      obs: what the inversion sees.
      observed_view: f32[B, T, H, W, 3] picture of the observations (unobserved pixels grey;
        super-resolution: the low-resolution input, nearest-upsampled).
      unobserved: bool[B, T, H, W], the pixels scored by the ``*_unobserved`` metrics.
      observed: f32[B, T, h, w, 3] the videos on the observed grid (h, w: super-resolution's
        low grid, else H, W), unobserved pixels 0: what the baselines see.
      weights: f32[B, T, h, w] observation weights on that grid (0 = unobserved).
    """

    obs: Observations
    observed_view: np.ndarray
    unobserved: np.ndarray
    observed: np.ndarray
    weights: np.ndarray


def downsample(videos: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """f32[B, T, H, W, 3] -> f32[B, T, h, w, 3], antialiased bilinear (area-like) resize."""
    b, t = videos.shape[:2]
    out = jax.image.resize(jnp.asarray(videos), (b, t, *size, 3), method="linear", antialias=True)
    return np.asarray(out, np.float32)


def prepare(videos, task: str, *, seed: int = 0, **options) -> Prepared:
    """Observations of ``videos`` f32[B, T, H, W, 3] under a task.

    Args:
      task: one of ``masks.TASKS`` ("mask" needs ``mask=`` f32[T, H, W] weights).
      seed: sparse masks use ``seed + i`` for video i (each video its own draws).
      **options: the other ``masks.TaskOptions`` (future_frames, sparse_frac, box, mask,
        low_size: (h, w) of super-resolution's observed grid, default H // 2, W // 2).
    """
    spec = masks_lib.get_task(task)
    opts = masks_lib.TaskOptions(seed=seed, **options)
    videos = np.asarray(videos, np.float32)
    b, t, h, w, _ = videos.shape
    size = (h, w) if spec.observed_size is None else tuple(spec.observed_size((h, w), opts))
    if size != (h, w):
        videos = downsample(videos, size)
    if spec.per_video:
        draws = [dataclasses.replace(opts, seed=seed + i) for i in range(b)]
        weights = np.stack([spec.mask((t, *size), o) for o in draws])
    else:
        weights = spec.mask((t, *size), opts)
    seen = np.broadcast_to(weights > 0, (b, t, *size))
    # The videos are masked before gathering too, so nothing unobserved can leak through.
    masked = np.where(seen[..., None], videos, 0.0).astype(np.float32)
    full = np.broadcast_to(weights, seen.shape)
    if spec.unobserved == "every":  # another grid: no pixel of the videos' own is observed
        return Prepared(observe(masked, weights, full_shape=(t, h, w)),
                        upsample_nearest(masked, (h, w)),
                        np.ones((b, t, h, w), bool), masked, full)  # fmt: skip
    return Prepared(observe(masked, weights), masked, ~seen, masked, full)
