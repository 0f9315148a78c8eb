"""Full-covariance Gaussian over standardized latents (the official protocol fits one Gaussian)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from inrv_jax.prior.kind import Kind

# Keeps the Cholesky factor finite when N <= D (the covariance is then singular).
RIDGE = 1e-4


def fit(x: np.ndarray, seed: int, options: dict):
    """x f32[N, D] -> {"mean": f32[D], "chol": f32[D, D]} (covariance = chol @ chol.T)."""
    x = np.asarray(x, np.float64)
    cov = np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1]) + RIDGE * np.eye(x.shape[1])
    arrays = {"mean": x.mean(0), "chol": np.linalg.cholesky(cov)}
    return {k: v.astype(np.float32) for k, v in arrays.items()}, None


@functools.partial(jax.jit, static_argnames=("num",))
def _sample(arrays, key, num: int):
    eps = jax.random.normal(key, (num, arrays["mean"].shape[0]))
    return arrays["mean"] + eps @ arrays["chol"].T


def sample(arrays, key, num: int, options: dict) -> jnp.ndarray:
    return _sample(arrays, key, num)


KIND = Kind(fit, sample, {})
