"""Does a generator copy its training set? Distances of samples to their nearest training
clip, set against the same distances of held-out real clips (which cannot be copies).

For each sample: the nearest training latent (L2), the nearest training clip in pixels (MSE and
its PSNR, clips in [-1, 1], peak-to-peak 2) and in features (L2 between I3D logits, or whatever
feature function scores the generation rows). Summary (``summary``):

- medians of those distances over the samples, and the same medians for the held-out clips
  (``heldout_*``; latents: each training latent's nearest *other* training latent, as held-out
  clips have no latents);
- ``closer_than_heldout_p5_{pixels,features}``: the fraction of samples nearer to a training clip
  than 95 % of held-out clips are. About 0.05 for a generator no closer to its training set
  than new real clips; near 1 for one that replays training clips.
"""

from __future__ import annotations

import numpy as np

PEAK_TO_PEAK = 2.0  # clips in [-1, 1]
HELDOUT_PERCENTILE = 5.0


def nearest_sq(a: np.ndarray, b: np.ndarray, chunk: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Mean squared distance of each row of a f[M, ...] to its nearest row of b f[N, ...]
    (same trailing shape) -> (f64[M], index int[M])."""
    a2 = np.asarray(a, np.float64).reshape(len(a), -1)
    b2 = np.asarray(b, np.float64).reshape(len(b), -1)
    bb = (b2**2).sum(1)
    dist, idx = [], []
    for s in range(0, len(a2), chunk):  # chunks bound the M x N distance matrix
        x = a2[s : s + chunk]
        d = (x**2).sum(1)[:, None] - 2 * x @ b2.T + bb[None]
        idx.append(d.argmin(1))
        dist.append(np.maximum(d.min(1), 0.0) / a2.shape[1])
    return np.concatenate(dist), np.concatenate(idx)


def psnr(mse: np.ndarray) -> np.ndarray:
    return 10 * np.log10(PEAK_TO_PEAK**2 / np.maximum(mse, 1e-12))


def heldout_reference(heldout, heldout_feats, train_clips, train_feats, train_latents) -> dict:
    """Distances of held-out clips to the training clips: the yardstick of ``summary``."""
    mse, _ = nearest_sq(heldout, train_clips)
    feat = np.sqrt(nearest_sq(heldout_feats, train_feats)[0] * train_feats.shape[1])
    return {"mse": mse, "feature": feat, "latent": nearest_other(train_latents)}


def nearest_other(z, chunk: int = 256) -> np.ndarray:
    """L2 distance of each row of z f[N, D] to its nearest *other* row -> f64[N]; chunked, so
    4,096 latents need a 256 x 4,096 matrix at a time, not N x N x D."""
    z = np.asarray(z, np.float64)
    zz = (z**2).sum(1)
    out = []
    for s in range(0, len(z), chunk):
        d = zz[s : s + chunk, None] - 2 * z[s : s + chunk] @ z.T + zz[None]
        d[np.arange(len(d)), s + np.arange(len(d))] = np.inf  # not itself
        out.append(np.sqrt(np.maximum(d.min(1), 0.0)))
    return np.concatenate(out)


def summary(samples, sample_feats, latents, train_clips, train_feats, train_latents, ref) -> dict:
    """Memorization numbers of one set of samples.

    Args:
      samples: f32[M, T, H, W, 3] in [-1, 1]; sample_feats f[M, F]; latents f32[M, D] or None.
      train_clips: f32[N, T, H, W, 3]; train_feats f[N', F] (features of the first N' of them);
        train_latents f32[N, D].
      ref: ``heldout_reference``.
    """
    mse, nearest_clip = nearest_sq(samples, train_clips)
    feat = np.sqrt(nearest_sq(sample_feats, train_feats)[0] * train_feats.shape[1])
    out = {
        "pixel_mse_median": float(np.median(mse)),
        "pixel_psnr_median": float(np.median(psnr(mse))),
        "feature_distance_median": float(np.median(feat)),
        "heldout_pixel_mse_median": float(np.median(ref["mse"])),
        "heldout_pixel_psnr_median": float(np.median(psnr(ref["mse"]))),
        "heldout_feature_distance_median": float(np.median(ref["feature"])),
        "closer_than_heldout_p5_pixels": float(
            np.mean(mse < np.percentile(ref["mse"], HELDOUT_PERCENTILE))
        ),
        "closer_than_heldout_p5_features": float(
            np.mean(feat < np.percentile(ref["feature"], HELDOUT_PERCENTILE))
        ),
        "distinct_nearest_clips": int(len(np.unique(nearest_clip))),
        "num_samples": len(samples),
        "num_train_clips": len(train_clips),
        "num_train_features": len(train_feats),
        "num_heldout": len(ref["mse"]),
    }
    if latents is not None:
        d = np.sqrt(nearest_sq(latents, train_latents)[0] * np.shape(latents)[1])
        out["latent_distance_median"] = float(np.median(d))
        out["train_latent_loo_distance_median"] = float(np.median(ref["latent"]))
    return out
