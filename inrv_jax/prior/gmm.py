"""Gaussian mixture over standardized latents: fitted by scikit-learn, stored and sampled as
arrays (no pickle), so sampling is jax and deterministic per seed."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.mixture import GaussianMixture

from inrv_jax.errors import InputError
from inrv_jax.prior.kind import Kind

# sklearn's covariance ridge; larger than its default because N/K clips per component in D
# dimensions leaves the covariances nearly singular.
REG_COVAR = 1e-3


def fit(x: np.ndarray, seed: int, options: dict):
    """x f32[N, D] -> {"weights": f32[K], "means": f32[K, D], "chol": f32[K, D, D]}."""
    k = options["components"]
    if not 1 <= k <= len(x):
        raise InputError(f"--components must be in 1..{len(x)} (the latents), got {k}")
    gm = GaussianMixture(
        k, covariance_type="full", reg_covar=REG_COVAR, random_state=seed, n_init=1
    ).fit(np.asarray(x, np.float64))
    arrays = {
        "weights": gm.weights_,
        "means": gm.means_,
        "chol": np.linalg.cholesky(gm.covariances_),
    }
    # Negative mean log-likelihood per latent: the loss sklearn maximised.
    return {k: v.astype(np.float32) for k, v in arrays.items()}, -float(gm.score(x))


@functools.partial(jax.jit, static_argnames=("num",))
def _sample(arrays, key, num: int):
    k_comp, k_eps = jax.random.split(key)
    comp = jax.random.categorical(k_comp, jnp.log(arrays["weights"]), shape=(num,))
    eps = jax.random.normal(k_eps, (num, arrays["means"].shape[1]))
    return arrays["means"][comp] + jnp.einsum("nij,nj->ni", arrays["chol"][comp], eps)


def sample(arrays, key, num: int, options: dict) -> jnp.ndarray:
    return _sample(arrays, key, num)


KIND = Kind(fit, sample, {"components": 8})
