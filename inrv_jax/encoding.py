"""Coordinate encodings of the INR: a family chosen by ``model.inr.encoding``.

Every encoding is ``[x, sin(B x) * a, cos(B x) * a]`` for a fixed frequency matrix
``B`` f32[F, 3] (rows: frequency vectors in radians per coordinate unit) with the sin and cos
of each row interleaved, and an attenuation ``a`` f32[F] that is 1 for point encodings and the
integrated positional encoding's (mip-NeRF) ``exp(-½ bᵀ Σ b)`` for the integrated ones: for
x ~ N(μ, Σ), E[sin(bᵀx)] = sin(bᵀμ) · exp(-½ bᵀΣb). A sample's footprint is a box of width
Δ per axis (one pixel or frame of the grid it stands for), whose variance is Δ²/12.

The family (``ENCODINGS``):
  * ``nerf``: the official encoding, octaves 2^k π (k < num_freqs) on every axis, whatever the
    grid (DESIGN §2 order: frequency-major, then axis, sin before cos). On a 32-pixel axis its
    top octave is ~33x the grid's Nyquist frequency, so between samples the INR is free.
  * ``bandlimited``: the nerf octaves at or below ``max_freq`` x the Nyquist frequency of each
    axis of the training grid, π (n - 1) / 2 for n samples (so 8 frames keep 2 octaves, 32
    pixels 4).
  * ``ipe``: the nerf octaves up to ``max_freq`` x Nyquist, integrated over the footprint.
  * ``harmonics``: every multiple k π at or below ``max_freq`` x Nyquist per axis: the Fourier
    basis of the band the training grid carries (32 pixels: π..15π, 8 frames: π..3π).
  * ``fourier``: ``num_features`` Gaussian random Fourier features (fixed seed 0) whose
    per-axis scale is ``max_freq`` x Nyquist / 3, so ~99.7 % of them lie below ``max_freq`` x
    Nyquist; integrated over the footprint.

Frequencies are computed in NumPy from static values (``EncodingSpec``), so an encoding is a
pure function of the coordinate and its footprint.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np

IN_DIM = 3


@dataclasses.dataclass(frozen=True)
class EncodingSpec:
    """Static description of a coordinate encoding (hashable).

    Attributes:
      kind: a key of ``ENCODINGS``.
      num_freqs: octaves of ``nerf`` (and the most any octave encoding keeps).
      grid: (T, H, W) of the training grid; the band-limited kinds need it.
      max_freq: highest frequency kept, in units of each axis' Nyquist frequency on ``grid``.
      num_features: frequency vectors of ``fourier``.
    """

    kind: str = "nerf"
    num_freqs: int = 10
    grid: tuple[int, ...] = ()
    max_freq: float = 1.0
    num_features: int = 64

    def __post_init__(self):
        if self.kind not in ENCODINGS:
            raise ValueError(
                f"model.inr.encoding must be one of {sorted(ENCODINGS)}, got {self.kind!r}"
            )
        if self.kind != "nerf" and len(self.grid) != IN_DIM:
            raise ValueError(
                f"model.inr.encoding={self.kind!r} needs the training grid (T, H, W) in "
                f"model.inr.grid, got {self.grid!r}"
            )
        if self.max_freq <= 0:
            raise ValueError(f"model.inr.max_freq must be > 0, got {self.max_freq}")

    @property
    def dim(self) -> int:
        """Width of the encoding: the coordinate plus a sin and cos per frequency row."""
        return IN_DIM + 2 * frequencies(self).shape[0]

    @property
    def integrated(self) -> bool:
        return ENCODINGS[self.kind].integrated


@dataclasses.dataclass(frozen=True)
class Encoding:
    """A registry entry: how to build the frequency matrix, and whether it is integrated."""

    frequencies: Callable[[EncodingSpec], np.ndarray]
    integrated: bool


def axis_spacing(n: int) -> float:
    """Distance between neighbouring samples of an official ``n``-sample axis, in coordinate
    units (``coords.axis_values``): 2 / (n - 1); an axis of one sample gets 2 (the whole range)."""
    return 2.0 / max(n - 1, 1)


def nyquist(grid: tuple[int, ...]) -> np.ndarray:
    """Per-axis Nyquist frequency (rad per coordinate unit) of a grid: π / spacing. f64[3]."""
    return np.array([np.pi / axis_spacing(n) for n in grid])


def grid_footprint(grid: tuple[int, ...]) -> np.ndarray:
    """The box footprint Δ of one sample of ``grid`` per axis (its spacing). f32[3]."""
    return np.array([axis_spacing(n) for n in grid], np.float32)


def _octaves(spec: EncodingSpec) -> np.ndarray:
    """The nerf rows: 2^k π e_d, frequency-major then axis. f64[num_freqs * 3, 3]."""
    octaves = (2.0 ** np.arange(spec.num_freqs)) * np.pi
    return (octaves[:, None, None] * np.eye(IN_DIM)[None]).reshape(-1, IN_DIM)


def _band_limited_octaves(spec: EncodingSpec) -> np.ndarray:
    """The nerf rows at or below ``max_freq`` x the training grid's Nyquist frequency."""
    rows = _octaves(spec)
    limit = spec.max_freq * nyquist(spec.grid) * (1 + 1e-9)
    keep = (np.abs(rows) <= limit[None]).all(axis=1) & (np.abs(rows).sum(axis=1) > 0)
    return rows[keep]


def _harmonics(spec: EncodingSpec) -> np.ndarray:
    """Every multiple k π (k >= 1) at or below ``max_freq`` x Nyquist, per axis: the Fourier
    basis of the band the grid can carry (32 pixels: π..15π; 8 frames: π..3π), axis-major.
    f64[F, 3]."""
    limit = spec.max_freq * nyquist(spec.grid) * (1 + 1e-9)
    rows = []
    for d in range(IN_DIM):
        for k in range(1, int(limit[d] / np.pi) + 1):
            rows.append(np.eye(IN_DIM)[d] * k * np.pi)
    return np.array(rows).reshape(-1, IN_DIM)


def _random_fourier(spec: EncodingSpec) -> np.ndarray:
    """``num_features`` rows ~ N(0, diag(max_freq * Nyquist / 3)²), a fixed draw (seed 0)."""
    scale = spec.max_freq * nyquist(spec.grid) / 3.0
    return np.random.default_rng(0).standard_normal((spec.num_features, IN_DIM)) * scale[None]


ENCODINGS: dict[str, Encoding] = {
    "nerf": Encoding(_octaves, integrated=False),
    "bandlimited": Encoding(_band_limited_octaves, integrated=False),
    "ipe": Encoding(_band_limited_octaves, integrated=True),
    "harmonics": Encoding(_harmonics, integrated=False),
    "fourier": Encoding(_random_fourier, integrated=True),
}


@functools.lru_cache(maxsize=64)
def frequencies(spec: EncodingSpec) -> np.ndarray:
    """The frequency matrix B of ``spec``. f32[F, 3] (rad per coordinate unit)."""
    return ENCODINGS[spec.kind].frequencies(spec).astype(np.float32)


def encode(x: jnp.ndarray, spec: EncodingSpec, footprint: jnp.ndarray | None = None) -> jnp.ndarray:
    """Encode coordinates.

    Args:
      x: f32[..., 3] coordinates (t, h, w).
      spec: the encoding.
      footprint: f32[3] (or broadcastable to f32[..., 3]): box width Δ of a sample per axis in
        coordinate units; integrated encodings attenuate each row by exp(-½ Σ_d b_d² Δ_d²/12).
        None: the training grid's own footprint (``grid_footprint(spec.grid)``). Point
        encodings ignore it.

    Returns:
      f32[..., spec.dim]: ``[x, sin(b_0·x) a_0, cos(b_0·x) a_0, sin(b_1·x) a_1, …]``.
    """
    if spec.kind == "nerf":  # the official code path, unchanged
        return nerf_encode(x, spec.num_freqs)
    freqs = jnp.asarray(frequencies(spec), x.dtype)  # [F, 3]
    angles = x @ freqs.T  # [..., F]
    sincos = jnp.stack([jnp.sin(angles), jnp.cos(angles)], axis=-1)  # [..., F, 2]
    if spec.integrated:
        if footprint is None:
            footprint = grid_footprint(spec.grid)
        var = jnp.square(jnp.asarray(footprint, x.dtype)) / 12.0  # [..., 3]
        atten = jnp.exp(-0.5 * (var[..., None, :] * jnp.square(freqs)).sum(-1))  # [..., F]
        sincos = sincos * atten[..., None]
    return jnp.concatenate([x, sincos.reshape(*sincos.shape[:-2], -1)], axis=-1)


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
