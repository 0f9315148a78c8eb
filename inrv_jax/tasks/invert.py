"""Inversion tasks of unseen videos: plain inversion, inpainting, prediction, frame interpolation,
temporal upsampling, sparse, box/region and user masks, super-resolution.

Python API::

    tm = load_trained(workdir)
    result = run_task(tm, videos, "inpainting", steps=300)   # videos f32[B, T, H, W, 3]
    result.recon, result.metrics, result.summary

CLI: ``inrv invert --workdir DIR --data SPEC --task NAME [--steps N --batch B --init I]
[--refine R --refine-params all|last|biases] --out DIR`` writes ``metrics.json`` (per-video and mean PSNR/SSIM/LPIPS over all and unobserved pixels),
``latents.npy``, ``recon/NNNN.mp4`` (and ``.npy`` with ``--save-npy``) and ``compare.gif/png``
(rows: videos; columns: target, what was observed, reconstruction rendered at 4x).

``--init encoder`` starts from the workdir's trained encoder (``inrv train-encoder``); with
``--steps 0`` that one pass is the answer. ``--refine R`` then fine-tunes the INR parameters the
hypernetwork produced, R Adam steps on the observed pixels (``inrv_jax.tasks.refine``), and the
reconstruction is rendered from the refined INRs.
"""

from __future__ import annotations

import dataclasses
import time

import jax
import numpy as np

from inrv_jax import masks as masks_lib
from inrv_jax.encoder import joint_encoder
from inrv_jax.errors import InputError
from inrv_jax.rendering import FromINRs, FromLatents, RenderSettings, render
from inrv_jax.tasks.inversion import invert
from inrv_jax.tasks.prepare import Prepared, downsample, prepare
from inrv_jax.tasks.refine import refine
from inrv_jax.tasks.residual import check_residual, check_weight, on_baseline
from inrv_jax.tasks.scoring import mean_metrics, video_metrics

# prepare lives below the baselines and the choice of methods; importable from here as before.
__all__ = ["Prepared", "TaskResult", "downsample", "prepare", "render_result", "run_task"]


@dataclasses.dataclass
class TaskResult:
    """latents f32[B, D]; losses f32[steps, B]; recon f32[B, T, H, W, 3] (the videos' grid);
    metrics: per-video arrays; summary: their means; seconds: inversion time without
    compilation (the encoder pass included); refine_seconds: refinement's, also without;
    compile_seconds: both their compilations; inr: the refined INR trees (leading B) or None
    without refinement; refine_losses: f32[R, B] or None; residual_seconds: the residual
    composition's (``tasks.residual``; recon is the composed video, the INRs are not)."""

    task: str
    latents: np.ndarray
    losses: np.ndarray
    recon: np.ndarray
    prepared: Prepared
    metrics: dict
    summary: dict
    seconds: float
    refine_seconds: float = 0.0
    inr: object = None
    refine_losses: np.ndarray | None = None
    compile_seconds: float = 0.0
    residual_seconds: float = 0.0

    @property
    def method_seconds(self) -> float:
        """What the method took without compilation: inversion + refinement + residual."""
        return self.seconds + self.refine_seconds + self.residual_seconds


def run_task(
    trained,
    videos,
    task: str,
    *,
    steps: int = 300,
    lr: float = 1e-2,
    init: str = "mean",
    batch: int | None = None,
    seed: int = 0,
    lpips=None,
    chunk: int = 1 << 14,
    pixels_per_step: int | None = None,
    encoder=None,
    refine_steps: int = 0,
    refine_part: str = "all",
    refine_lr: float = 1e-4,
    refine_anchor: float = 0.0,
    residual: str = "",
    residual_weight: float = 1.0,
    **task_kwargs,
) -> TaskResult:
    """Invert ``videos`` f32[B, T, H, W, 3] under ``task`` and score the reconstructions.

    ``encoder``: the ``encoder`` init's ``inrv_jax.encoder.Encoder``. ``refine_steps`` > 0:
    then fine-tune the generated INRs' ``refine_part`` (``refine.PARTS``) on the observed pixels,
    pulled towards the generated INRs with weight ``refine_anchor``. ``residual``: a linear
    baseline of the task (``tasks.residual``): the result is that baseline on the observations
    plus INR-V's departure from it, times ``residual_weight`` in (0, 1] ('' = INR-V's
    reconstruction as it is).
    ``task_kwargs`` go to ``prepare`` (future_frames, sparse_frac, box, mask, low_size).
    """
    encoder = _encoder_of(trained, init, encoder)
    _check_residual_arguments(residual, residual_weight, task)
    videos = np.asarray(videos, np.float32)
    prepared = prepare(videos, task, seed=seed, **task_kwargs)
    result = invert(
        trained.model,
        trained.params,
        prepared.obs,
        learned=trained.latents,
        steps=steps,
        lr=lr,
        init=init,
        seed=seed,
        batch=batch,
        pixels_per_step=pixels_per_step,
        encoder=encoder,
        shape=prepared.observed.shape[1:4],
    )
    refined = None if not refine_steps else refine(
        trained.model, trained.params, result.latents, prepared.obs, steps=refine_steps,
        lr=refine_lr, part=refine_part, batch=batch, anchor=refine_anchor,
        pixels_per_step=pixels_per_step, seed=seed)  # fmt: skip
    recon = _reconstruct(trained, result.latents, refined, videos.shape[1:4], chunk)
    recon, residual_seconds = _on_residual(residual, residual_weight, recon, prepared, task, seed,
                                           task_kwargs)  # fmt: skip
    scored = None if masks_lib.get_task(task).unobserved == "none" else prepared.unobserved
    metrics = video_metrics(recon, videos, scored, lpips)
    return _task_result(task, result, refined, recon, prepared, metrics, residual_seconds)


def _check_residual_arguments(residual: str, weight: float, task: str) -> None:
    """InputError unless ``residual`` suits ``task`` and ``weight`` is in (0, 1] (1 without one)."""
    check_residual(residual, task)
    check_weight(weight)
    if weight != 1.0 and not residual:
        raise InputError("a residual weight needs a residual baseline (--residual NAME)")


def _encoder_of(trained, init: str, encoder):
    """The encoder of the ``encoder`` init: ``encoder``, else the model's joint one."""
    if init == "encoder" and encoder is None:
        encoder = joint_encoder(trained)  # a model trained with one
    if init == "encoder" and encoder is None:
        raise InputError("init 'encoder' needs a trained encoder (encoder=load_encoder(WORKDIR)); "
                         "train one with `inrv train-encoder --workdir DIR`")  # fmt: skip
    return encoder


def _on_residual(residual: str, weight: float, recon, prepared, task: str, seed: int,
                 task_kwargs):  # fmt: skip
    """(``recon`` composed as a residual on the baseline ``residual``, the seconds that took);
    ``residual`` '': (``recon`` as it is, 0.0)."""
    if not residual:
        return recon, 0.0
    start = time.perf_counter()
    recon = on_baseline(residual, recon, prepared, task, seed=seed, weight=weight, **task_kwargs)
    return recon, time.perf_counter() - start


def _reconstruct(trained, latents, refined, shape, chunk: int) -> np.ndarray:
    """Videos f32[B, *shape, 3] from the refined INRs if any, else from ``latents``."""
    if refined is not None:
        return render(FromINRs(trained.model.inr_spec, refined.inr), shape, RenderSettings(chunk))
    return render(FromLatents(trained.model, trained.params, latents), shape, RenderSettings(chunk))


def _task_result(task, result, refined, recon, prepared, metrics, residual_seconds) -> TaskResult:
    """The ``TaskResult`` of an inversion ``result`` and its refinement ``refined`` (or None)."""
    return TaskResult(
        task,
        result.latents,
        result.losses,
        recon,
        prepared,
        metrics,
        mean_metrics(metrics),
        result.seconds,
        0.0 if refined is None else refined.seconds,
        None if refined is None else refined.inr,
        None if refined is None else refined.losses,
        result.compile_seconds + (0.0 if refined is None else refined.compile_seconds),
        residual_seconds,
    )


def render_result(trained, res: TaskResult, shape, rows=slice(None)) -> np.ndarray:
    """The reconstructions f32[B', T, H, W, 3] of videos ``rows`` of ``res`` on another
    ``shape`` (T, H, W) grid: from the refined INRs if any, else from the latents."""
    if res.inr is None:
        return render(FromLatents(trained.model, trained.params, res.latents[rows]), shape)
    inrs = jax.tree.map(lambda a: a[rows], res.inr)
    return render(FromINRs(trained.model.inr_spec, inrs), shape)
