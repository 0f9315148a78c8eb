"""Kernel video distance (KVD): the KID recipe on video features.

KVD = unbiased MMD^2 between real and generated features with the cubic polynomial kernel
``k(x, y) = (x . y / d + 1)^3`` (d = feature dimension), as KID (Bińkowski et al. 2018) and the
KVD of the video-generation literature. Reported **raw** throughout this project (not x1000):
on I3D logits the kernel values are O(10-100), unlike KID's O(1) Inception pool features.

Unlike FVD, the estimator is unbiased: over many draws of two samples of one distribution its
mean is 0 (single values can be negative). Against itself a set scores *exactly*
``-(2 / n) (mean_i k(x_i, x_i) - mean_{i != j} k(x_i, x_j))`` (<= 0 for this kernel, -> 0 as
1/n), not 0: the cross term keeps the diagonal, the within-set terms drop it.
All arithmetic is float64 NumPy.
"""

from __future__ import annotations

import numpy as np


def polynomial_kernel(x, y) -> np.ndarray:
    """``f[N, D], f[M, D] -> f64[N, M]``: ``(x . y / D + 1)^3``."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def _check(real, fake) -> tuple[np.ndarray, np.ndarray]:
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"KVD needs features [N, D] and [M, D], got {real.shape}, {fake.shape}")
    if min(len(real), len(fake)) < 2:
        raise ValueError(f"KVD needs at least 2 samples per set, got {len(real)}, {len(fake)}")
    return real, fake


def _mmd2_from_kernels(k_rr, k_ff, k_rf) -> float:
    """Unbiased MMD^2 from the three kernel matrices (within-set diagonals excluded)."""
    n, m = k_rr.shape[0], k_ff.shape[0]
    within_r = (k_rr.sum() - np.trace(k_rr)) / (n * (n - 1))
    within_f = (k_ff.sum() - np.trace(k_ff)) / (m * (m - 1))
    return float(within_r + within_f - 2.0 * k_rf.mean())


def mmd2_unbiased(real, fake) -> float:
    """Unbiased MMD^2 of ``f[N, D]`` vs ``f[M, D]`` with the cubic polynomial kernel (raw)."""
    real, fake = _check(real, fake)
    return _mmd2_from_kernels(
        polynomial_kernel(real, real),
        polynomial_kernel(fake, fake),
        polynomial_kernel(real, fake),
    )


def kvd(real, fake) -> float:
    """KVD (raw, not x1000) of the full feature sets ``f[N, D]``, ``f[M, D]``; deterministic."""
    return mmd2_unbiased(real, fake)


def kvd_subsets(real, fake, num_subsets: int, subset_size: int, seed: int = 0):
    """KID-style mean and standard deviation over random subsets.

    Each subset draws ``subset_size`` real and ``subset_size`` generated samples without
    replacement (independently per subset) from a ``numpy.random.default_rng(seed)``; the kernel
    matrices are computed once and indexed.

    Returns:
      (mean, std) of the ``num_subsets`` unbiased MMD^2 values (raw; std with ddof=0). The std
      measures the spread at ``subset_size`` samples, larger than the error of the full-set KVD.
    """
    real, fake = _check(real, fake)
    size = int(subset_size)
    if num_subsets < 1 or not 2 <= size <= min(len(real), len(fake)):
        raise ValueError(
            f"KVD subsets: need num_subsets >= 1 and 2 <= subset_size <= "
            f"{min(len(real), len(fake))}, got {num_subsets}, {subset_size}"
        )
    k_rr, k_ff = polynomial_kernel(real, real), polynomial_kernel(fake, fake)
    k_rf = polynomial_kernel(real, fake)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(num_subsets):
        r = rng.choice(len(real), size, replace=False)
        f = rng.choice(len(fake), size, replace=False)
        values.append(
            _mmd2_from_kernels(k_rr[np.ix_(r, r)], k_ff[np.ix_(f, f)], k_rf[np.ix_(r, f)])
        )
    return float(np.mean(values)), float(np.std(values))
