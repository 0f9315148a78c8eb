"""Positional encodings of coordinates."""

from __future__ import annotations

import jax.numpy as jnp


def nerf_encoding_dim(in_dim: int, num_freqs: int) -> int:
    """Width of the NeRF encoding: the input plus a sin and cos per axis and frequency."""
    return in_dim * (1 + 2 * num_freqs)


def nerf_encode(x: jnp.ndarray, num_freqs: int = 10) -> jnp.ndarray:
    """NeRF positional encoding in the official INR-V order.

    ``[x, y, z, sin(2^0 π x), cos(2^0 π x), sin(2^0 π y), cos(2^0 π y), sin(2^0 π z),
    cos(2^0 π z), sin(2^1 π x), …]``: frequency-major, then axis, sin before cos.

    Args:
      x: f32[..., D] coordinates.
      num_freqs: number of octaves.

    Returns:
      f32[..., D * (1 + 2 * num_freqs)] (63 for D=3, 10 frequencies).
    """
    freqs = (2.0 ** jnp.arange(num_freqs, dtype=x.dtype)) * jnp.pi  # [F]
    angles = x[..., None, :] * freqs[:, None]  # [..., F, D]
    sincos = jnp.stack([jnp.sin(angles), jnp.cos(angles)], axis=-1)  # [..., F, D, 2]
    return jnp.concatenate([x, sincos.reshape(*x.shape[:-1], -1)], axis=-1)
