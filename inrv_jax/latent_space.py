"""Operations in the learned latent space: Gaussian fit, sampling, slerp/lerp paths.

These implement the official generation protocols (DESIGN §2):
  * ``random``: z ~ N(mean, std) of the learned latents (per-dimension Gaussian).
  * ``random-interpolated``: slerp between the latents of two random training videos at a
    random one of 50 evenly spaced points.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from inrv_jax import settings

GENERATION_MODES = settings.GENERATION_MODES


def slerp(a: jnp.ndarray, b: jnp.ndarray, t: jnp.ndarray) -> jnp.ndarray:
    """Spherical interpolation between rows of a, b f32[..., D] at t f32[...] (or scalar).

    Falls back to lerp where a and b are (nearly) parallel.
    """
    t = jnp.asarray(t)[..., None]
    na = a / jnp.linalg.norm(a, axis=-1, keepdims=True).clip(1e-12)
    nb = b / jnp.linalg.norm(b, axis=-1, keepdims=True).clip(1e-12)
    dot = jnp.clip(jnp.sum(na * nb, axis=-1, keepdims=True), -1.0, 1.0)
    omega = jnp.arccos(dot)
    so = jnp.sin(omega)
    safe = so > 1e-6
    so = jnp.where(safe, so, 1.0)
    s_a = jnp.where(safe, jnp.sin((1.0 - t) * omega) / so, 1.0 - t)
    s_b = jnp.where(safe, jnp.sin(t * omega) / so, t)
    return s_a * a + s_b * b


def lerp(a: jnp.ndarray, b: jnp.ndarray, t: jnp.ndarray) -> jnp.ndarray:
    t = jnp.asarray(t)[..., None]
    return (1.0 - t) * a + t * b


INTERPOLATORS = {"slerp": slerp, "lerp": lerp}


@functools.partial(jax.jit, static_argnames=("steps", "method"))
def interpolation_path(a, b, steps: int, method: str = "slerp") -> jnp.ndarray:
    """``steps`` latents from a to b inclusive: f32[D] x2 -> f32[steps, D]."""
    if method not in INTERPOLATORS:
        raise ValueError(f"interpolation method {method!r} unknown; use {sorted(INTERPOLATORS)}")
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps, got {steps}")
    t = jnp.linspace(0.0, 1.0, steps)
    return INTERPOLATORS[method](jnp.broadcast_to(a, (steps, a.shape[-1])), b, t)


@functools.partial(jax.jit, static_argnames=("num", "mode"))
def sample_latents(key: jax.Array, latents: jnp.ndarray, num: int, mode: str) -> jnp.ndarray:
    """Novel latents from the learned ones f32[N, D] by an official protocol. -> f32[num, D]."""
    latents = jnp.asarray(latents, jnp.float32)
    if mode == "random":
        mean, std = latents.mean(axis=0), latents.std(axis=0)
        return mean + std * jax.random.normal(key, (num, latents.shape[1]))
    if mode == "random-interpolated":
        if latents.shape[0] < 2:
            raise ValueError("random-interpolated generation needs at least 2 training videos")
        k_pair, k_t = jax.random.split(key)
        pairs = jax.vmap(lambda k: jax.random.choice(k, latents.shape[0], (2,), replace=False))(
            jax.random.split(k_pair, num)
        )
        t = jax.random.randint(k_t, (num,), 0, 50) / 49.0
        return slerp(latents[pairs[:, 0]], latents[pairs[:, 1]], t)
    raise ValueError(f"generation mode {mode!r} unknown; choose one of {GENERATION_MODES}")
