"""Model-free baselines of the inversion tasks (one registry, ``BASELINES``).

A baseline sees exactly what the model's inversion sees — ``prepare.prepare``'s ``observed``
videos (unobserved pixels 0) and ``weights`` on the task's observed grid — and returns a
reconstruction on the videos' grid, scored with the same ``scoring.video_metrics`` on the same
unobserved pixels. Each task names its baselines (``masks.Task.baselines``):

  * ``repeat-last``: every frame after the last observed one repeats it (prediction);
  * ``blend``: linear blend in time of the nearest observed frames before and after, the end
    frames repeated (frame interpolation, temporal upsampling);
  * ``biharmonic``: per-frame biharmonic fill (``skimage.restoration.inpaint_biharmonic``);
  * ``nearest-pixel``: per-frame nearest observed pixel (``scipy.ndimage.distance_transform_edt``);
  * ``nearest-training``: the training clip closest (weighted MSE) on the observed pixels,
    returned whole;
  * ``bicubic``: bicubic upsampling of super-resolution's low grid (``jax.image.resize``
    "cubic": the Keys a = -0.5 bicubic kernel on the same half-pixel grid as the task's own
    ``jax.image.resize`` downsampling, batched over videos and frames in one call; skimage's
    ``order=3`` is a cubic B-spline and resizes one image at a time);
  * ``fit-single``: one fresh INR per video fitted directly to its observed pixels
    (``observed_fit.fit_observations``, all videos in one vmapped fit) with the method's own
    protocol: the same pixels drawn per step (the inversion's sampler, seed and
    ``pixels_per_step``) for the seconds the method took (inversion + refinement), compilation
    excluded from both (``runtime.stopwatch``). Super-resolution: fitted at the low pixels' true
    positions, rendered on the full grid.

Python API::

    results = run_baselines(videos, "inpainting", train_videos=train)  # f32[B, T, H, W, 3]
    results["biharmonic"].recon, results["biharmonic"].summary
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from scipy.ndimage import distance_transform_edt
from skimage.restoration import inpaint_biharmonic

from inrv_jax import masks as masks_lib
from inrv_jax.errors import InputError
from inrv_jax.inr import INRSpec
from inrv_jax.rendering import FromINRs, RenderSettings, render
from inrv_jax.tasks.fit_single import fresh_inrs
from inrv_jax.tasks.inversion import observe
from inrv_jax.tasks.observed_fit import FitSettings, fit_observations
from inrv_jax.tasks.prepare import Prepared, prepare
from inrv_jax.tasks.scoring import mean_metrics, video_metrics

Shape = tuple[int, int, int]  # (T, H, W) of the reconstruction
# Training clips compared at once by nearest-training (float64: ~50 MB a 25×100×100 clip).
TRAIN_CHUNK = 8
# The most steps fit-single takes; its time budget normally stops it long before.
FIT_MAX_STEPS = 1_000_000

# fitted INRs render in chunks of 65,536 coordinates (one INR a video: small rows)
FIT_RENDER = RenderSettings(chunk=1 << 16)


@dataclasses.dataclass(frozen=True)
class Context:
    """What some baselines need besides the observations (never the model).

    Attributes:
      train_videos: f32[N, T, H, W, 3] training clips in [-1, 1] (nearest-training).
      seconds: fit-single's budget for the whole batch, compilation excluded (the method's
        seconds, ``invert.TaskResult.method_seconds``).
      inr_spec: the INR fit-single fits (evaluate: the model's own INR architecture).
      lr: fit-single's Adam learning rate.
      seed: fit-single's initialisation and pixel draws (the inversion's seed: the same draws).
      pixels_per_step: observed pixels fit-single draws a step (the inversion's; None: all).
    """

    train_videos: np.ndarray | None = dataclasses.field(default=None, compare=False)
    seconds: float | None = None
    inr_spec: INRSpec | None = None
    lr: float = 1e-3
    seed: int = 0
    pixels_per_step: int | None = None


# (observed f32[B, T, h, w, 3] with unobserved pixels 0, weights f32[B, T, h, w], shape of the
# reconstruction (T, H, W), context) -> f32[B, T, H, W, 3]
BaselineFn = Callable[[np.ndarray, np.ndarray, Shape, Context], np.ndarray]


@dataclasses.dataclass(frozen=True)
class Baseline:
    """One baseline: ``name`` (``Task.baselines`` entries), ``title`` (its row in evaluate's
    table), ``fn``, ``needs``: the ``Context`` fields it cannot run without, and ``linear``: its
    output is a linear function of the observed pixels for fixed weights (INR-V can be a
    residual on it, ``tasks.residual``)."""

    name: str
    title: str
    fn: BaselineFn
    needs: tuple[str, ...] = ()
    linear: bool = False


def _same_grid(observed: np.ndarray, shape: Shape, name: str) -> None:
    if tuple(observed.shape[1:4]) != tuple(shape):
        raise InputError(
            f"baseline {name!r} fills the videos' own grid {tuple(shape)}; the task observes "
            f"{tuple(observed.shape[1:4])}: use 'bicubic' for another grid"
        )


def _fully_observed(weights: np.ndarray, name: str) -> None:
    if not (weights > 0).all():
        raise InputError(f"baseline {name!r} needs every pixel observed (task 'all')")


def _frame_sources(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nearest fully observed frame at or before / at or after each frame.

    Args:
      weights: f32[B, T, H, W].

    Returns:
      (prev, next) i64[B, T]; where one side has none, both name the other side's frame.
    """
    seen = (weights > 0).all(axis=(2, 3))  # [B, T]
    if not seen.any(axis=1).all():
        raise InputError("a frame baseline needs at least one fully observed frame per video")
    t = seen.shape[1]
    idx = np.broadcast_to(np.arange(t), seen.shape)
    prev = np.maximum.accumulate(np.where(seen, idx, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(seen, idx, t)[:, ::-1], axis=1)[:, ::-1]
    return np.where(prev < 0, nxt, prev), np.where(nxt >= t, prev, nxt)


def _take_frames(videos: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """videos f32[B, T, H, W, 3], frames i64[B, T'] -> f32[B, T', H, W, 3]."""
    return np.take_along_axis(videos, frames[:, :, None, None, None], axis=1)


def repeat_last(observed, weights, shape, context) -> np.ndarray:
    """Each frame is the last fully observed frame at or before it (else the first after)."""
    _same_grid(observed, shape, "repeat-last")
    prev, _ = _frame_sources(weights)
    return _take_frames(observed, prev)


def blend_in_time(observed, weights, shape, context) -> np.ndarray:
    """Linear blend of the nearest fully observed frames before and after each frame."""
    _same_grid(observed, shape, "blend")
    prev, nxt = _frame_sources(weights)
    t = np.arange(observed.shape[1])
    gap = nxt - prev
    a = np.where(gap > 0, (t - prev) / np.maximum(gap, 1), 0.0)[:, :, None, None, None]
    return ((1 - a) * _take_frames(observed, prev) + a * _take_frames(observed, nxt)).astype(
        np.float32
    )


def _per_frame(name: str, fill: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> BaselineFn:
    """Baseline ``name`` from ``fill(frame f32[H, W, 3], hidden bool[H, W]) -> f32[H, W, 3]``,
    applied to every frame with hidden pixels; a frame with nothing observed stays 0 (grey)."""

    def fn(observed, weights, shape, context) -> np.ndarray:
        _same_grid(observed, shape, name)
        out = np.array(observed, np.float32)
        hidden = weights <= 0
        for b, t in zip(*np.nonzero(hidden.any(axis=(2, 3))), strict=True):
            if not hidden[b, t].all():
                out[b, t] = fill(out[b, t], hidden[b, t])
        return out

    fn.__doc__ = fill.__doc__
    return fn


def biharmonic(frame: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Biharmonic fill of the hidden pixels (float64: it is exact on linear ramps)."""
    return inpaint_biharmonic(frame.astype(np.float64), hidden, channel_axis=-1)


def nearest_pixel(frame: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Each hidden pixel takes the colour of the nearest observed pixel (Euclidean)."""
    _, (iy, ix) = distance_transform_edt(hidden, return_indices=True)
    return frame[iy, ix]


def nearest_training_index(observed, weights, train_videos) -> np.ndarray:
    """The training clip with the smallest weighted MSE on each video's observed pixels.

    Args:
      observed: f32[B, T, H, W, 3]; weights: f32[B, T, H, W] (0 = unobserved, so the values
        there never count); train_videos: f32[N, T, H, W, 3].

    Returns:
      i64[B] indices into train_videos.
    """
    b, n = observed.shape[0], train_videos.shape[0]
    w = np.repeat(np.asarray(weights, np.float64).reshape(b, -1, 1), 3, axis=2).reshape(b, -1)
    wx = w * np.asarray(observed, np.float64).reshape(b, -1)  # [B, P·3]
    # sum w (x - y)² = sum w x² - 2 sum w x y + sum w y²; the first term is the same for all y.
    err = np.empty((b, n))
    for s in range(0, n, TRAIN_CHUNK):
        y = np.asarray(train_videos[s : s + TRAIN_CHUNK], np.float64).reshape(-1, wx.shape[1])
        err[:, s : s + len(y)] = w @ np.square(y).T - 2 * wx @ y.T
    return np.argmin(err, axis=1)


def nearest_training(observed, weights, shape, context) -> np.ndarray:
    """The nearest training clip, whole (``nearest_training_index``)."""
    _same_grid(observed, shape, "nearest-training")
    train = np.asarray(context.train_videos, np.float32)
    if train.shape[1:] != observed.shape[1:]:
        raise InputError(
            f"train_videos are {train.shape[1:]} clips; the videos are {observed.shape[1:]}"
        )
    return train[nearest_training_index(observed, weights, train)]


def bicubic(observed, weights, shape, context) -> np.ndarray:
    """Bicubic upsampling of the observed (low-resolution) grid to ``shape``."""
    _fully_observed(weights, "bicubic")
    b, t = observed.shape[:2]
    if t != shape[0]:
        raise InputError(f"bicubic upsamples space only: {t} observed frames, {shape[0]} asked")
    out = jax.image.resize(jnp.asarray(observed), (b, *shape, 3), method="cubic")
    return np.asarray(out, np.float32)


def fit_single_inr(observed, weights, shape, context) -> np.ndarray:
    """One fresh INR per video fitted to its observed pixels for ``context.seconds`` of
    optimisation in all (every video the same steps; the method's pixel draws)."""
    spec = INRSpec() if context.inr_spec is None else context.inr_spec
    res = _fit_single(observed, weights, shape, context, spec)
    return render(FromINRs(spec, res.inr), shape, FIT_RENDER)


def fit_single_curve(observed, weights, shape, context, budgets) -> list[np.ndarray]:
    """``fit_single_inr`` at each of ``budgets`` (seconds, compilation excluded) from one fit:
    the reconstructions f32[B, T, H, W, 3] of the first chunk end at or after each budget."""
    spec = INRSpec() if context.inr_spec is None else context.inr_spec
    context = dataclasses.replace(context, seconds=max(budgets))
    res = _fit_single(observed, weights, shape, context, spec, tuple(budgets))
    by_time = {b: snap for b, snap in zip(sorted(budgets), res.snapshots, strict=False)}
    last = res.inr
    fits = [by_time[b][2] if b in by_time else last for b in budgets]
    return [render(FromINRs(spec, inr), shape, FIT_RENDER) for inr in fits]


def _fit_single(observed, weights, shape, context, spec, snapshots=()):
    full = None if tuple(observed.shape[1:4]) == tuple(shape) else tuple(shape)
    obs = observe(observed, weights, full_shape=full)
    fresh = fresh_inrs(spec, len(obs), context.seed)
    settings = FitSettings(FIT_MAX_STEPS, context.lr, pixels_per_step=context.pixels_per_step,
                           seconds=context.seconds, seed=context.seed)  # fmt: skip
    return fit_observations(spec, lambda i, j: jax.tree.map(lambda a: a[i:j], fresh), obs,
                            settings, snapshots=snapshots)  # fmt: skip


BASELINES: dict[str, Baseline] = {
    b.name: b
    for b in (
        Baseline("repeat-last", "repeat the last observed frame", repeat_last, linear=True),
        Baseline(
            "blend", "linear blend of the nearest observed frames", blend_in_time, linear=True
        ),
        Baseline(
            "biharmonic",
            "biharmonic fill (per frame)",
            _per_frame("biharmonic", biharmonic),
            linear=True,
        ),
        Baseline(
            "nearest-pixel",
            "nearest observed pixel (per frame)",
            _per_frame("nearest-pixel", nearest_pixel),
            linear=True,
        ),
        Baseline("nearest-training", "nearest training video", nearest_training, ("train_videos",)),
        Baseline("bicubic", "bicubic upsampling", bicubic, linear=True),
        Baseline(
            "fit-single",
            "single INR fitted in the same time and pixels a step",
            fit_single_inr,
            ("seconds",),
        ),
    )
}


@dataclasses.dataclass
class BaselineResult:
    """recon f32[B, T, H, W, 3]; metrics: per-video arrays (``video_metrics``); summary: their
    means; seconds: the baseline's wall time."""

    recon: np.ndarray
    metrics: dict
    summary: dict
    seconds: float


def run_prepared(
    prepared: Prepared, videos, task: str, context: Context, lpips=None, names=None
) -> dict[str, BaselineResult]:
    """Run and score a task's baselines on ``prepare``'s output for ``videos`` f32[B, T, H, W, 3].

    ``names``: which baselines (default the task's own, ``masks.Task.baselines``).
    """
    spec = masks_lib.get_task(task)
    names = spec.baselines if names is None else tuple(names)
    for name in names:
        if name not in BASELINES:
            raise InputError(f"unknown baseline {name!r}; choose from {tuple(BASELINES)}")
        missing = [f for f in BASELINES[name].needs if getattr(context, f) is None]
        if missing:
            raise InputError(f"baseline {name!r} needs {missing[0]}=...; pass it or leave it out")
    scored = None if spec.unobserved == "none" else prepared.unobserved  # as run_task scores
    out = {}
    for name in names:
        start = time.perf_counter()
        recon = BASELINES[name].fn(prepared.observed, prepared.weights, videos.shape[1:4], context)
        seconds = time.perf_counter() - start
        metrics = video_metrics(recon, videos, scored, lpips)
        out[name] = BaselineResult(recon, metrics, mean_metrics(metrics), seconds)
    return out


def run_baselines(
    videos,
    task: str,
    *,
    train_videos=None,
    seconds: float | None = None,
    inr_spec: INRSpec | None = None,
    lpips=None,
    names=None,
    seed: int = 0,
    **task_options,
) -> dict[str, BaselineResult]:
    """A task's baselines on ``videos`` f32[B, T, H, W, 3] in [-1, 1], without a model.

    Args:
      train_videos: f32[N, T, H, W, 3] for nearest-training.
      seconds: fit-single's wall-clock budget for the whole batch.
      inr_spec: fit-single's INR (default the official one).
      names: which baselines (default the task's own).
      seed: the task's seed (sparse draws), as for ``invert.run_task``; also fit-single's.
      **task_options: ``masks.TaskOptions`` fields (future_frames, sparse_frac, box, mask,
        low_size).

    Returns:
      {name: BaselineResult}.
    """
    videos = np.asarray(videos, np.float32)
    prepared = prepare(videos, task, seed=seed, **task_options)
    context = Context(train_videos, seconds, inr_spec, seed=seed)
    return run_prepared(prepared, videos, task, context, lpips, names)
