"""INR-V as a residual on a linear baseline: the observed pixels give the absolute values, the
generated INR gives what changes between them.

A linear baseline ``B`` (``baselines.Baseline.linear``: repeat-last, blend, bicubic, biharmonic,
nearest-pixel) maps what a task observes to a whole video. Applied to the observations of the
video and to the same observations of INR-V's reconstruction ``R`` it gives

    residual(B) = B(observed video) + w * (R - B(observed R))

``R - B(observed R)`` is what ``B`` gets wrong *about R*: for future prediction with
``repeat-last``, INR-V's motion since the last observed frame, added to the true last frame; for
frame interpolation with ``blend``, INR-V's departure from a straight line in time, added to the
true blend. The weight ``w`` in (0, 1] (default 1) shrinks INR-V's departure towards the
baseline; w = 0 would be the baseline itself, so it is not a method of INR-V's. Where INR-V's error is the same on observed and hidden frames (a background it
renders a little off everywhere) it cancels; where ``R`` is exact it is ``R``. On observed pixels
the result equals the observation (every linear baseline returns those as given, except bicubic
on another grid).

Nothing of the video but its observations is used: ``B`` sees ``prepared.observed`` (hidden pixels
are 0 there) and ``R`` is observed by the same task mask (``prepare`` with the same seed and
options).

Python API::

    res = run_task(tm, videos, "prediction", residual="repeat-last", residual_weight=0.5)
    composed = on_baseline("blend", recon, prepared, "frame-interpolation", seed=0)
"""

from __future__ import annotations

import numpy as np

from inrv_jax.errors import InputError
from inrv_jax.masks import get_task
from inrv_jax.tasks.baselines import BASELINES, Context
from inrv_jax.tasks.prepare import Prepared, prepare


def residual_baselines(task: str) -> tuple[str, ...]:
    """The task's baselines INR-V can be a residual on (the linear ones)."""
    return tuple(n for n in get_task(task).baselines if BASELINES[n].linear)


def check_residual(name: str, task: str) -> None:
    """``InputError`` unless ``name`` is '' (no residual) or a linear baseline of ``task``."""
    if name and name not in residual_baselines(task):
        raise InputError(
            f"residual {name!r} is not a linear baseline of task {task!r}; choose from "
            f"{residual_baselines(task) or '(none: the task has no linear baseline)'} or ''"
        )


def check_weight(weight: float) -> None:
    """``InputError`` unless the residual weight is in (0, 1]."""
    if not 0.0 < weight <= 1.0:
        raise InputError(f"residual weight {weight!r} is outside (0, 1]: 1 adds INR-V's whole "
                         "departure from the baseline, 0 would be the baseline itself")  # fmt: skip


def on_baseline(
    name: str,
    recon,
    prepared: Prepared,
    task: str,
    *,
    seed: int = 0,
    weight: float = 1.0,
    **options,
) -> np.ndarray:
    """``B(observed video) + weight * (recon - B(observed recon))`` for the linear baseline
    ``B`` = ``name``.

    Args:
      name: a linear baseline of ``task`` (``residual_baselines``).
      recon: f32[B, T, H, W, 3], INR-V's reconstruction on the videos' grid.
      prepared: ``prepare``'s output for the videos (what the task observed of them).
      task, seed, **options: the task, its seed and ``masks.TaskOptions`` that made ``prepared``
        (the reconstruction is observed the same way).
      weight: in (0, 1], the share of INR-V's departure from the baseline kept.

    Returns:
      f32[B, T, H, W, 3].
    """
    check_residual(name, task)
    check_weight(weight)
    recon = np.asarray(recon, np.float32)
    shape = recon.shape[1:4]
    seen_recon = prepare(recon, task, seed=seed, **options)
    if not np.array_equal(seen_recon.weights, prepared.weights):
        raise InputError(f"task {task!r} observed the reconstruction unlike the videos: pass "
                         "the seed and options that made `prepared`")  # fmt: skip
    fn = BASELINES[name].fn
    base = baseline_of(name, prepared, shape)
    base_recon = fn(seen_recon.observed, seen_recon.weights, shape, Context())
    return (base + np.float32(weight) * (recon - base_recon)).astype(np.float32)


def baseline_of(name: str, prepared: Prepared, shape) -> np.ndarray:
    """The linear baseline ``name`` on what the task observed of the videos, on the (T, H, W)
    grid ``shape``: f32[B, T, H, W, 3]."""
    return np.asarray(BASELINES[name].fn(prepared.observed, prepared.weights, shape, Context()))


def shrink(full, base, weight: float) -> np.ndarray:
    """``on_baseline`` at ``weight`` from its weight-1 result ``full`` and ``baseline_of``:
    ``base + weight * (full - base)`` (the departure is linear in the weight)."""
    check_weight(weight)
    return (base + np.float32(weight) * (np.asarray(full) - base)).astype(np.float32)
