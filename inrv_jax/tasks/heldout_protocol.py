"""Held-out clips a model never saw, and every held-out task scored on them next to its baselines.

The protocol of the benchmarks (``benchmarks/latent_space.py``, ``hypernet_families.py``,
``continuity_heldout.py``, ``amortized.py``, ``prior.py``):

1. Clips: the first ``num`` candidates that share no frame, byte for byte, with any training
   clip (``unseen_clips``). Other episodes of the same games can still pass through a screen a
   training clip shows (a title or reset screen), and a hidden region equal to a training
   clip's makes nearest-training's PSNR infinite; so such candidates are skipped and recorded.
2. Rows: every task of ``settings.tasks`` on every held-out set (``heldout_rows``): the model
   (mean-init z-Adam inversion, or the method chosen on validation clips) and the task's
   model-free baselines on exactly the same observed pixels, PSNR and SSIM only.

Sources are anything with ``len(source)`` and ``source.load(i) -> u8[T, H, W, 3]`` (an
``inrv_jax.data`` ``VideoSource``).
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np

from inrv_jax.errors import InputError
from inrv_jax.masks import HELDOUT_TASKS
from inrv_jax.pixels import to_unit_range
from inrv_jax.tasks.evaluate import baseline_context, task_section

# Candidates to draw per clip kept: some share a frame with a training clip and are skipped.
CANDIDATES_PER_CLIP = 2


def frame_digest(frame: np.ndarray) -> bytes:
    """sha256 of one frame's bytes (u8[H, W, 3]): equal digests = the same frame."""
    return hashlib.sha256(np.ascontiguousarray(frame).tobytes()).digest()


def frame_digests(source) -> set[bytes]:
    """The digests of every frame of every clip of ``source`` (this loads every clip)."""
    return {frame_digest(f) for i in range(len(source)) for f in source.load(i)}


def unseen_clips(source, seen: set[bytes], num: int, what: str = "candidate"):
    """The first ``num`` clips of ``source`` none of whose frames is in ``seen``.

    Args:
      source: the candidates, tried in index order.
      seen: ``frame_digests`` of the training clips.
      num: clips wanted.
      what: names the candidates in the error.
    Returns:
      (f32[num, T, H, W, 3] in [-1, 1], the skipped candidate indices).
    Raises:
      InputError: fewer than ``num`` of the candidates share no frame with training.
    """
    clips, skipped = [], []
    for i in range(len(source)):
        if len(clips) == num:
            break
        clip = source.load(i)
        if any(frame_digest(f) in seen for f in clip):
            skipped.append(i)
        else:
            clips.append(clip)
    if len(clips) < num:
        raise InputError(
            f"only {len(clips)} of {len(source)} {what} clips share no frame with the training "
            f"clips; ask for fewer than {num} held-out clips"
        )
    return to_unit_range(np.stack(clips)), skipped


@dataclasses.dataclass(frozen=True)
class HeldoutSettings:
    """How ``heldout_rows`` inverts: ``inversion_steps`` z-Adam steps at ``lr`` from the mean
    latent, ``inversion_pixels`` random observed pixels a step (None: all), for ``tasks``."""

    tasks: tuple[str, ...] = HELDOUT_TASKS
    inversion_steps: int = 200
    inversion_pixels: int | None = 512
    lr: float = 1e-2
    seed: int = 0


def score_key(mean: dict) -> str:
    """The metric a held-out row is judged by: PSNR over the hidden pixels where the task hid
    some (``psnr_unobserved`` is not None), else over all pixels."""
    return "psnr_unobserved" if mean.get("psnr_unobserved") is not None else "psnr"


def heldout_rows(
    trained, sets: dict, settings: HeldoutSettings, recipes: dict | None = None, log=print
) -> dict:
    """Every task of ``settings`` on every held-out set: the model and the task's baselines.

    PSNR and SSIM only: LPIPS (VGG16 on every frame of the model and of every baseline) would
    cost more than the inversions.

    Args:
      trained: an ``inrv_jax.checkpoint.TrainedModel``.
      sets: {set name: f32[K, T, H, W, 3] in [-1, 1]}.
      settings: the inversion every task runs unless ``recipes`` names another.
      recipes: {set name: {task: ``choose.Recipe``}}, methods chosen on validation clips.
      log: gets one line per (set, task).
    Returns:
      {set name: {task: ``evaluate.task_section`` with only the judged metric per video}}:
      ``mean`` metrics, ``per_video`` {score_key: [K floats]} (so a margin's spread over the
      clips can be read), ``seconds``, the task's options and ``baselines`` {name: {mean,
      per_video, seconds}}.
    """
    context = baseline_context(trained, settings.tasks, settings.seed)
    inversion = {"steps": settings.inversion_steps, "lr": settings.lr, "init": "mean",
                 "seed": settings.seed, "pixels_per_step": settings.inversion_pixels}  # fmt: skip
    out = {}
    for split, videos in sets.items():
        out[split] = {}
        for task in settings.tasks:
            recipe = (recipes or {}).get(split, {}).get(task)
            res = task_section(trained, videos, task, None, _quiet, context, recipe=recipe,
                               **inversion)  # fmt: skip
            key = score_key(res["mean"])
            for row in (res, *res.get("baselines", {}).values()):
                row["per_video"] = {key: np.asarray(row["per_video"][key]).tolist()}
            out[split][task] = res
            log(f"  {split:8s} {task:20s} {_brief(res)} ({res['seconds']:.1f} s)")
    return out


def _quiet(*_) -> None:
    pass


def _brief(res: dict) -> str:
    key = score_key(res["mean"])
    parts = [f"model {res['mean'][key]:.2f}"]
    for name, b in res.get("baselines", {}).items():
        parts.append(f"{name} {b['mean'][key]:.2f}")
    return f"{key}: " + ", ".join(parts)
