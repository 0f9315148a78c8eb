"""Is the representation continuous? Renders off the training grid against ground truth there.

Two questions, each next to the classical answer computed from the training frames alone:

* space: the clip rendered at ``scale`` x the training height and width (pixel centres at their
  true positions, ``coords.output_grid``) vs the true frames at that size; classical answers:
  bicubic and Lanczos-3 upsampling of the training frames (``jax.image.resize``, which puts
  pixel centres at the same positions);
* time: the moments half-way between consecutive training frames vs the true frames at those
  moments; classical answers: the linear blend of the two neighbours and repeating the previous
  frame.

Ground truth off the grid comes from the data (``inrv_jax.data.builtin.off_grid_truth``: the
analytic ``shapes`` generator, the Atari emulator). Everything here is arrays in, numbers out.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from inrv_jax.metrics.image import psnr
from inrv_jax.rendering import FromLatents, RenderSettings, render

UPSAMPLERS = {"bicubic": "bicubic", "lanczos": "lanczos3"}
FRAME_BASELINES = ("blend", "repeat_previous")


def half_times(frames: int) -> np.ndarray:
    """Coordinates (official time axis) of the T - 1 moments half-way between consecutive
    frames of a T-frame clip: index k + 0.5 -> ((k + 0.5) / (T - 1) - 0.5) * 2. f32[T - 1]."""
    if frames < 2:
        raise ValueError(f"half-way moments need at least 2 frames, got {frames}")
    k = np.arange(frames - 1, dtype=np.float64) + 0.5
    return ((k / (frames - 1) - 0.5) * 2.0).astype(np.float32)


def upsample(videos: np.ndarray, scale: int, method: str) -> np.ndarray:
    """Classical spatial upsampling of f32[B, T, H, W, 3] by ``scale`` (``UPSAMPLERS``),
    clipped to [-1, 1]. Returns f32[B, T, scale*H, scale*W, 3]."""
    b, t, h, w, c = videos.shape
    out = jax.image.resize(
        jnp.asarray(videos), (b, t, h * scale, w * scale, c), UPSAMPLERS[method], antialias=False
    )
    return np.clip(np.asarray(out), -1.0, 1.0)


def between_frames(videos: np.ndarray, method: str) -> np.ndarray:
    """Classical frames at the half-way moments of f32[B, T, H, W, 3]: ``blend`` (the mean of
    the two neighbours) or ``repeat_previous``. Returns f32[B, T - 1, H, W, 3]."""
    if method == "blend":
        return 0.5 * (videos[:, :-1] + videos[:, 1:])
    if method == "repeat_previous":
        return videos[:, :-1]
    raise ValueError(f"unknown frame baseline {method!r}; one of {FRAME_BASELINES}")


def _mean_psnr(x, y) -> float:
    return float(np.mean(np.asarray(psnr(jnp.asarray(x), jnp.asarray(y)))))


def continuity_scores(
    model,
    params,
    latents: np.ndarray,
    videos: np.ndarray,
    truth_up: np.ndarray,
    truth_half: np.ndarray,
    scale: int,
    chunk: int = 1 << 14,
) -> dict[str, float]:
    """Mean PSNR (dB) on and off the training grid, for the model and the classical answers.

    Args:
      model, params: a trained model (``ModelFns``) and its params.
      latents: f32[B, D] the clips' latents.
      videos: f32[B, T, H, W, 3] the clips on the training grid, in [-1, 1].
      truth_up: f32[B, T, scale*H, scale*W, 3] the true frames at ``scale`` x the size.
      truth_half: f32[B, T - 1, H, W, 3] the true frames half-way between training frames.
      scale: the spatial factor.

    Returns:
      {"on_grid", "space/inr", "space/bicubic", "space/lanczos", "time/inr", "time/blend",
      "time/repeat_previous"}: PSNR over all clips (each clip's per-frame mean, averaged).
    """
    _, t, h, w, _ = videos.shape
    source = FromLatents(model, params, latents)
    clipped = lambda shape, times=None: np.clip(  # noqa: E731
        render(source, shape, RenderSettings(chunk), times), -1.0, 1.0
    )
    scores = {"on_grid": _mean_psnr(clipped((t, h, w)), videos)}
    scores["space/inr"] = _mean_psnr(clipped((t, h * scale, w * scale)), truth_up)
    for name in UPSAMPLERS:
        scores[f"space/{name}"] = _mean_psnr(upsample(videos, scale, name), truth_up)
    scores["time/inr"] = _mean_psnr(clipped((t - 1, h, w), half_times(t)), truth_half)
    for name in FRAME_BASELINES:
        scores[f"time/{name}"] = _mean_psnr(between_frames(videos, name), truth_half)
    return scores
