"""k-NN precision and recall in feature space (Kynkäänniemi et al. 2019).

Each set's manifold is the union of balls around its samples, each ball's radius the distance to
that sample's k-th nearest neighbour in the same set (the sample itself not counted; a duplicate
counts as a neighbour at distance 0). Precision = fraction of generated samples inside the real
manifold (are samples realistic?); recall = fraction of real samples inside the generated
manifold (is the variety covered?). "Inside" is ``distance <= radius``, as in the reference
implementation, so identical sets score 1 and 1. Euclidean distances in float64.
"""

from __future__ import annotations

import numpy as np

DEFAULT_K = 3


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``f64[N, D], f64[M, D] -> f64[N, M]`` Euclidean distances."""
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.clip(sq, 0.0, None))


def knn_radii(feats: np.ndarray, k: int) -> np.ndarray:
    """``f64[N, D] -> f64[N]``: distance of each sample to its k-th nearest other sample."""
    d = _distances(feats, feats)
    np.fill_diagonal(d, -1.0)  # the sample itself sorts first and is skipped
    return np.partition(d, k, axis=1)[:, k]


def _coverage(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> float:
    """Fraction of ``points`` within ``radii[j]`` of at least one ``centres[j]``."""
    return float(np.mean((_distances(points, centres) <= radii[None, :]).any(axis=1)))


def precision_recall(real, fake, k: int = DEFAULT_K) -> tuple[float, float]:
    """k-NN precision and recall of generated ``f[M, D]`` against real ``f[N, D]``.

    Returns:
      (precision, recall), each in [0, 1].
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"precision/recall need features [N, D] and [M, D], got {real.shape}, {fake.shape}"
        )
    if not 1 <= k < min(len(real), len(fake)):
        raise ValueError(
            f"precision/recall: k = {k} needs more than k samples per set, got {len(real)} "
            f"real and {len(fake)} generated"
        )
    precision = _coverage(fake, real, knn_radii(real, k))
    recall = _coverage(real, fake, knn_radii(fake, k))
    return precision, recall
