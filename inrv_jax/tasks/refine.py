"""Refinement of the generated INR: the hypernetwork as a learned initialization for per-video
fitting.

After latent inversion, each video's INR parameters ``hyper(z)`` are fine-tuned directly, on the
observed pixels only, with the same observed-pixel MSE and pixel sampler as the inversion
(``tasks.observed_fit``: one Adam state per video by ``vmap``, steps in a jitted ``lax.scan``,
videos sharded over the ``data`` axis). ``part`` chooses which leaves move (``PARTS``: ``all``,
``last``, ``biases``); ``anchor`` > 0 adds ``anchor`` x the mean squared distance of the moving
parameters from the generated ones to the loss, so the refined INR cannot wander far from what the
latent space predicts where nothing is observed.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from inrv_jax.tasks.inversion import Observations
from inrv_jax.tasks.observed_fit import PARTS, FitSettings, fit_observations, trainable

__all__ = ["PARTS", "RefineResult", "refine", "trainable"]


@dataclasses.dataclass
class RefineResult:
    """inr: INR trees with a leading B (numpy); losses f32[steps, B] (observed-pixel MSE before
    each step); seconds: refinement time without compilation; compile_seconds: compilation."""

    inr: object
    losses: np.ndarray
    seconds: float = 0.0
    compile_seconds: float = 0.0


def refine(model, params, latents, obs: Observations, *, steps: int = 100, lr: float = 1e-4,
           part: str = "all", anchor: float = 0.0, batch: int | None = None,
           pixels_per_step: int | None = None, seed: int = 0,
           devices=None) -> RefineResult:  # fmt: skip
    """Fine-tune the INRs ``hyper(latents)`` of B videos on their observations.

    Args:
      model, params: ``TrainedModel.model`` / ``.params`` (the frozen hypernetwork).
      latents: f32[B, D], e.g. ``invert(...).latents``.
      obs: the observations the latents were inverted from.
      steps, lr: Adam steps and learning rate on the INR parameters.
      part: which leaves move (``PARTS``).
      anchor: weight of the pull towards the generated INR (0: none).
      batch, pixels_per_step, devices: as for ``inversion.invert``.
    """
    latents = np.asarray(latents, np.float32)
    size = len(obs) if batch is None else min(int(batch), len(obs))
    hyper = jax.jit(model.hyper)

    def starts(i: int, j: int):
        # Generated at the batch's shape whatever j - i is: the same program for every batch.
        z = latents[i:j]
        z = np.concatenate([z, np.repeat(z[:1], size - len(z), 0)])
        return jax.tree.map(lambda a: a[: j - i], hyper(params, jnp.asarray(z)))

    settings = FitSettings(int(steps), float(lr), part, float(anchor), pixels_per_step, seed=seed)
    res = fit_observations(
        model.inr_spec,
        starts,
        obs,
        settings,
        batch=batch,
        devices=devices,
    )
    return RefineResult(res.inr, res.losses, res.seconds, res.compile_seconds)
