"""Fit and sample any prior kind on standardized latents (the registry ``KINDS``)."""

from __future__ import annotations

import time
from typing import NamedTuple

import jax
import numpy as np

from inrv_jax.errors import InputError
from inrv_jax.prior import flow, gaussian, gmm

KINDS = {"gaussian": gaussian.KIND, "gmm": gmm.KIND, "flow": flow.KIND}

# Dimensions that never vary (std 0) are divided by 1, not 0.
MIN_STD = 1e-8


class Prior(NamedTuple):
    """A fitted prior: ``arrays`` (the kind's fitted arrays or network params, a pytree of numpy
    arrays) and ``meta`` (kind, options, latent mean/std, step, seed, fit seconds, final loss)."""

    arrays: dict
    meta: dict

    @property
    def kind(self) -> str:
        return self.meta["kind"]


def get_kind(kind: str):
    if kind not in KINDS:
        raise InputError(f"prior kind {kind!r} unknown; use one of {', '.join(KINDS)}")
    return KINDS[kind]


def fit_prior(latents, kind: str, seed: int = 0, step: int | None = None, **options) -> Prior:
    """Fit ``kind`` to latents f32[N, D] (standardized per dimension first).

    Args:
      step: the checkpoint step the latents come from (recorded; loading warns on a mismatch).
      options: the kind's options (``KINDS[kind].defaults``); None values take the default.
    """
    spec = get_kind(kind)
    unknown = set(options) - set(spec.defaults)
    if unknown:
        raise InputError(f"prior kind {kind!r} takes no option {sorted(unknown)}")
    opts = {**spec.defaults, **{k: v for k, v in options.items() if v is not None}}
    z = np.asarray(latents, np.float64)
    if z.ndim != 2 or len(z) < 2:
        raise InputError(f"a prior needs latents f32[N >= 2, D], got shape {z.shape}")
    mean, std = z.mean(0), np.maximum(z.std(0), MIN_STD)
    start = time.perf_counter()
    arrays, loss = spec.fit(((z - mean) / std).astype(np.float32), seed, opts)
    meta = {
        "kind": kind,
        "options": opts,
        "step": step,
        "seed": seed,
        "num_latents": int(z.shape[0]),
        "latent_dim": int(z.shape[1]),
        "latent_mean": mean.astype(np.float32).tolist(),
        "latent_std": std.astype(np.float32).tolist(),
        "fit_seconds": time.perf_counter() - start,
        "final_loss": loss,
    }
    return Prior(arrays, meta)


def sample_prior(prior: Prior, num: int, seed: int = 0, **overrides) -> np.ndarray:
    """``num`` latents f32[num, D] in the model's latent scale; the same seed gives the same
    latents. ``overrides``: sampling options (flow: ``sample_steps``, ``solver``)."""
    if num < 1:
        raise InputError(f"--num must be >= 1, got {num}")
    opts = {**prior.meta["options"], **{k: v for k, v in overrides.items() if v is not None}}
    arrays = jax.tree.map(np.asarray, prior.arrays)
    x = np.asarray(get_kind(prior.kind).sample(arrays, jax.random.key(seed), num, opts))
    mean = np.asarray(prior.meta["latent_mean"], np.float32)
    std = np.asarray(prior.meta["latent_std"], np.float32)
    return (x * std + mean).astype(np.float32)
