"""Every generation score of one generated feature set against one real set, under a Protocol.

FVD (``fvd``), KVD (``kvd``, raw) and k-NN precision/recall (``precision_recall``) read the same
features, so a row's numbers are comparable with each other and with the rows beside it.
"""

from __future__ import annotations

import numpy as np

from inrv_jax.metrics.fvd import frechet_distance
from inrv_jax.metrics.kvd import kvd, kvd_subsets
from inrv_jax.metrics.precision_recall import precision_recall
from inrv_jax.metrics.protocol import Protocol

SCORES = ("fvd", "kvd", "kvd_subset_mean", "kvd_subset_std", "precision", "recall")


def score_features(real, fake, protocol: Protocol) -> dict:
    """Scores of generated features ``f[M, D]`` against real ``f[N, D]``.

    Uses ``protocol.k`` and its KVD subset settings (``kvd_subsets`` 0: no subset mean/std).

    Returns:
      ``{"fvd", "kvd", "kvd_subset_mean", "kvd_subset_std", "precision", "recall"}`` floats
      (subset entries None without subsets) and ``"protocol"``: ``protocol.to_dict()``.
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if (len(real), len(fake)) != (protocol.num_real, protocol.num_fake):
        raise ValueError(
            f"protocol says {protocol.num_real} real and {protocol.num_fake} generated samples, "
            f"got {len(real)} and {len(fake)}"
        )
    precision, recall = precision_recall(real, fake, protocol.k)
    subset_mean = subset_std = None
    if protocol.kvd_subsets > 0:
        subset_mean, subset_std = kvd_subsets(
            real, fake, protocol.kvd_subsets, protocol.kvd_subset_size, protocol.seed
        )
    return {
        "fvd": frechet_distance(real, fake),
        "kvd": kvd(real, fake),
        "kvd_subset_mean": subset_mean,
        "kvd_subset_std": subset_std,
        "precision": precision,
        "recall": recall,
        "protocol": protocol.to_dict(),
    }
