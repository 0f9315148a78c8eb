"""Training losses: pixel distances, the per-frame LPIPS term and the KL prior."""

from __future__ import annotations

import jax.numpy as jnp

# ``loss.distance`` -> elementwise loss of ``pred - target``.
PIXEL_LOSSES = {"l1": jnp.abs, "l2": jnp.square}


def pixel_loss(kind: str):
    """The elementwise loss named by ``loss.distance``."""
    if kind not in PIXEL_LOSSES:
        raise ValueError(f"loss.distance={kind!r} is unknown; choose one of {sorted(PIXEL_LOSSES)}")
    return PIXEL_LOSSES[kind]


def pixel_distance(pred: jnp.ndarray, target: jnp.ndarray, kind: str) -> jnp.ndarray:
    """Mean per-pixel distance over everything but the leading batch axis. Returns f32[B]."""
    diff = pred - target
    return pixel_loss(kind)(diff).mean(axis=tuple(range(1, diff.ndim)))


def lpips_per_video(lpips_apply, lpips_params, pred: jnp.ndarray, target: jnp.ndarray):
    """LPIPS computed per frame (official) and averaged per video.

    Args:
      lpips_apply: ``(params, x[N, H, W, 3], y[N, H, W, 3]) -> f32[N]``, inputs in [-1, 1].
      pred, target: f32[B, T, H, W, 3].

    Returns:
      f32[B].
    """
    b, t = pred.shape[:2]
    frames = lambda v: v.reshape(b * t, *v.shape[2:])  # noqa: E731
    return lpips_apply(lpips_params, frames(pred), frames(target)).reshape(b, t).mean(axis=1)


def mse_to_psnr(mse: jnp.ndarray, data_range: float = 2.0) -> jnp.ndarray:
    """PSNR in dB for values on a scale of width ``data_range`` ([-1, 1] -> 2)."""
    return 10.0 * jnp.log10(data_range**2 / jnp.maximum(mse, 1e-12))
