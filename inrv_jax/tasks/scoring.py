"""Per-video PSNR / SSIM / LPIPS of reconstructions, over all pixels and over unobserved ones.

"Unobserved only" (masked tasks): PSNR and SSIM use the metrics' masks (per frame over the
frame's unobserved pixels, averaged over the frames that have any). LPIPS is a spatial network
and has no pixel mask, so its unobserved score is LPIPS between the target and the prediction
*with the observed pixels pasted in from the target* (differences can only come from unobserved
pixels), averaged over the frames that have unobserved pixels. Metrics that do not apply (SSIM
below 11×11 frames, LPIPS below 16×16, no unobserved pixel) are NaN, written as null in JSON.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from inrv_jax.masks import TASKS
from inrv_jax.metrics.image import SSIM_FILTER_SIZE, psnr, ssim

METRICS = ("psnr", "ssim", "lpips")
LPIPS_MIN_SIZE = 16


def _lpips_per_frame(lp, x: np.ndarray, y: np.ndarray, chunk: int = 64) -> np.ndarray:
    """LPIPS of frames x, y f32[N, H, W, 3] -> f32[N], in fixed-size chunks (one compile)."""
    fn = _lpips_fn(lp)
    out = []
    for s in range(0, x.shape[0], chunk):
        a, b = x[s : s + chunk], y[s : s + chunk]
        n = a.shape[0]
        if n < chunk and x.shape[0] > chunk:
            pad = ((0, chunk - n), (0, 0), (0, 0), (0, 0))
            a, b = np.pad(a, pad), np.pad(b, pad)
        out.append(np.asarray(fn(lp.params, jnp.asarray(a), jnp.asarray(b)))[:n])
    return np.concatenate(out)


_LPIPS_JIT: dict = {}


def _lpips_fn(lp):
    if lp.net not in _LPIPS_JIT:
        _LPIPS_JIT[lp.net] = jax.jit(lp.apply)
    return _LPIPS_JIT[lp.net]


def video_metrics(pred, target, unobserved=None, lpips=None) -> dict[str, np.ndarray]:
    """Per-video metrics.

    Args:
      pred, target: f32[B, T, H, W, 3] in [-1, 1] (pred is clipped to [-1, 1] first, as a saved
        video would be).
      unobserved: optional bool[B, T, H, W] (or [T, H, W]): adds ``*_unobserved`` metrics.
      lpips: a loaded ``inrv_jax.metrics.lpips.LPIPS`` (VGG16) or None to skip LPIPS.

    Returns:
      {"psnr", "ssim", "lpips", and with a mask "psnr_unobserved", …}: each f32[B].
    """
    pred = np.clip(np.asarray(pred, np.float32), -1.0, 1.0)
    target = np.asarray(target, np.float32)
    b, t, h, w, _ = target.shape
    nan = np.full(b, np.nan, np.float32)
    px, tx = jnp.asarray(pred), jnp.asarray(target)
    ssim_ok = min(h, w) >= SSIM_FILTER_SIZE
    lpips_ok = lpips is not None and min(h, w) >= LPIPS_MIN_SIZE
    out = {
        "psnr": np.asarray(psnr(px, tx)),
        "ssim": np.asarray(ssim(px, tx)) if ssim_ok else nan,
        "lpips": nan,
    }
    if lpips_ok:
        frames = _lpips_per_frame(lpips, pred.reshape(b * t, h, w, 3), target.reshape(-1, h, w, 3))
        out["lpips"] = frames.reshape(b, t).mean(axis=1)
    if unobserved is None:
        return out
    mask = np.broadcast_to(np.asarray(unobserved, bool), (b, t, h, w))
    out["psnr_unobserved"] = np.asarray(psnr(px, tx, mask=jnp.asarray(mask)))
    out["ssim_unobserved"] = np.asarray(ssim(px, tx, mask=jnp.asarray(mask))) if ssim_ok else nan
    out["lpips_unobserved"] = nan
    if lpips_ok:
        pasted = np.where(mask[..., None], pred, target)
        frames = _lpips_per_frame(
            lpips, pasted.reshape(b * t, h, w, 3), target.reshape(-1, h, w, 3)
        ).reshape(b, t)
        has = mask.any(axis=(2, 3))  # [B, T]
        with np.errstate(invalid="ignore"):
            out["lpips_unobserved"] = np.where(
                has.any(1), (frames * has).sum(1) / np.maximum(has.sum(1), 1), np.nan
            ).astype(np.float32)
    return out


def compared_metric(task: str) -> str:
    """The metric methods of a task are ranked by: PSNR over the unobserved pixels, or over all
    pixels where the task hides none (plain inversion)."""
    hides = task not in TASKS or TASKS[task].unobserved != "none"
    return "psnr_unobserved" if hides else "psnr"


# The PSNR of uniform 8-bit quantization noise, 10 log10(255^2 / (1/12)): two 8-bit videos closer
# than that differ by less than their own rounding. Means cap each video's PSNR here, so one exact
# reconstruction (PSNR inf) does not make a mean infinite; per-video values stay as measured.
PSNR_CEILING = float(10 * np.log10(255.0**2 * 12))


def mean_metrics(per_video: dict[str, np.ndarray]) -> dict[str, float | None]:
    """Mean over videos of each metric, ignoring NaN (None when all are NaN); PSNRs enter capped
    at ``PSNR_CEILING``."""
    out = {}
    for k, v in per_video.items():
        v = np.asarray(v, np.float64)
        if k.startswith("psnr"):
            v = np.minimum(v, PSNR_CEILING)
        finite = v[~np.isnan(v)]
        out[k] = None if finite.size == 0 else float(finite.mean())
    return out


def jsonable(x):
    """Floats/arrays -> JSON-safe values (NaN -> None, inf stays a string-free large float)."""
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, float | np.floating):
        x = float(x)
        if math.isnan(x):
            return None
        if math.isinf(x):
            return 1e9 if x > 0 else -1e9
        return x
    if isinstance(x, np.integer):
        return int(x)
    return x
