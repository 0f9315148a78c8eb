"""Per-frame image metrics for videos: PSNR and SSIM, optionally restricted to a pixel mask.

Videos are ``[B, T, H, W, 3]`` with values in [-1, 1] (the project's pixel convention). Both metrics
are computed per frame and then averaged over frames, the protocol of the INR-V paper. With a mask
(``True`` = pixel counts), a frame without any counted pixel is left out of that average, so
"unobserved pixels only" scores of e.g. frame prediction average over the unobserved frames only; a
video without any counted pixel scores NaN.

SSIM is dm-pix's (Gaussian window 11, sigma 1.5, k1 0.01, k2 0.03, as in Wang et al. 2004,
``tf.image.ssim`` and scikit-image with ``gaussian_weights=True, use_sample_covariance=False``),
evaluated on pixels shifted to [0, data_range] because SSIM's luminance term is not shift-invariant.
All functions are pure and jit-able.
"""

from __future__ import annotations

import dm_pix
import jax.numpy as jnp

SSIM_FILTER_SIZE = 11
SSIM_FILTER_SIGMA = 1.5


def _check_video_pair(x, y, name: str) -> None:
    if x.shape != y.shape:
        raise ValueError(f"{name}: x and y must have the same shape, got {x.shape} and {y.shape}")
    if x.ndim != 5 or x.shape[-1] != 3:
        raise ValueError(f"{name}: expected videos [B, T, H, W, 3], got shape {x.shape}")


def _frame_mask(mask, shape) -> jnp.ndarray:
    """Broadcasts a pixel mask to ``[B, T, H, W]`` float32 (1 = counted)."""
    b, t, h, w = shape[:4]
    mask = jnp.asarray(mask)
    try:
        return jnp.broadcast_to(mask, (b, t, h, w)).astype(jnp.float32)
    except ValueError as err:
        raise ValueError(
            f"mask of shape {mask.shape} does not broadcast to [B, T, H, W] = {(b, t, h, w)}"
        ) from err


def _masked_frame_mean(per_pixel, mask):
    """Per-frame masked mean, then mean over the frames that have counted pixels.

    Args:
      per_pixel: ``[B, T, h, w]`` per-pixel values.
      mask: ``[B, T, h, w]`` float weights in {0, 1}.

    Returns:
      ``[B, T]`` per-frame means (undefined where a frame has no pixels) and ``[B, T]`` bool
      validity.
    """
    count = jnp.sum(mask, axis=(-2, -1))  # [B, T]
    valid = count > 0
    total = jnp.sum(per_pixel * mask, axis=(-2, -1))
    return total / jnp.where(valid, count, 1.0), valid


def _mean_over_valid_frames(per_frame, valid):
    """``[B, T]`` values and validity -> ``[B]`` mean over valid frames (NaN if none)."""
    n = jnp.sum(valid, axis=1)
    total = jnp.sum(jnp.where(valid, per_frame, 0.0), axis=1)
    return jnp.where(n > 0, total / jnp.maximum(n, 1), jnp.nan)


def psnr(x, y, mask=None, data_range: float = 2.0) -> jnp.ndarray:
    """Peak signal-to-noise ratio in dB, per frame, averaged over frames.

    Args:
      x, y: ``[B, T, H, W, 3]`` videos in [-1, 1].
      mask: optional bool ``[B, T, H, W]`` (or broadcastable, e.g. ``[T, H, W]``); when given, each
        frame's MSE runs over its masked pixels only (all three channels of each).
      data_range: max minus min of the pixel range (2.0 for [-1, 1]).

    Returns:
      ``f32[B]``; +inf for a video identical to its reference.
    """
    _check_video_pair(x, y, "psnr")
    sq = jnp.mean(jnp.square(x.astype(jnp.float32) - y.astype(jnp.float32)), axis=-1)
    if mask is None:
        mse = jnp.mean(sq, axis=(-2, -1))  # [B, T]
        valid = jnp.ones(mse.shape, bool)
    else:
        mse, valid = _masked_frame_mean(sq, _frame_mask(mask, x.shape))
    per_frame = 10.0 * jnp.log10(data_range**2 / mse)
    return _mean_over_valid_frames(per_frame, valid)


def ssim(x, y, mask=None, data_range: float = 2.0, low: float = -1.0) -> jnp.ndarray:
    """Structural similarity, per frame (mean over channels and pixels), averaged over frames.

    Args:
      x, y: ``[B, T, H, W, 3]`` videos in [low, low + data_range] (default [-1, 1]); H, W >= 11.
      mask: optional bool ``[B, T, H, W]`` (or broadcastable). The SSIM map only exists where the
        whole 11x11 window fits ("valid" region, 5 pixels in from every border, as scikit-image's
        mean), so the mask is cropped the same way and the map is averaged over its masked pixels.
      data_range: max minus min of the pixel range (2.0 for [-1, 1]).
      low: the lowest pixel value; pixels are shifted by ``-low`` before SSIM so its luminance
        constants see the usual [0, data_range] range.

    Returns:
      ``f32[B]``; 1.0 for identical videos.
    """
    _check_video_pair(x, y, "ssim")
    b, t, h, w, c = x.shape
    if min(h, w) < SSIM_FILTER_SIZE:
        raise ValueError(
            f"ssim needs frames of at least {SSIM_FILTER_SIZE}x{SSIM_FILTER_SIZE} pixels "
            f"(Gaussian window), got {h}x{w}"
        )
    a = (x.astype(jnp.float32) - low).reshape(b * t, h, w, c)
    bb = (y.astype(jnp.float32) - low).reshape(b * t, h, w, c)
    ssim_map = dm_pix.ssim(
        a,
        bb,
        max_val=data_range,
        filter_size=SSIM_FILTER_SIZE,
        filter_sigma=SSIM_FILTER_SIGMA,
        return_map=True,
    )  # [B*T, H-10, W-10, 3]
    per_pixel = jnp.mean(ssim_map, axis=-1).reshape(b, t, *ssim_map.shape[1:3])
    if mask is None:
        return jnp.mean(per_pixel, axis=(1, 2, 3))
    r = SSIM_FILTER_SIZE // 2
    m = _frame_mask(mask, x.shape)[:, :, r : h - r, r : w - r]
    per_frame, valid = _masked_frame_mean(per_pixel, m)
    return _mean_over_valid_frames(per_frame, valid)
