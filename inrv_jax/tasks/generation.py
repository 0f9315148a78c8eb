"""Generation scores of a trained model against HELD-OUT clips, with reference rows.

Rows (``ROWS``), every one scored against the same held-out clips with the same features:

- ``random-interpolated`` and ``random``: ``num`` clips of ``generate`` (one seed);
- ``prior:KIND``: ``num`` clips of every prior fitted in ``workdir`` (``inrv fit-prior``), when
  ``generation_section`` is given the workdir;
- ``training``: up to ``num`` training clips, what "as good as real" scores (a model that
  reproduced its training distribution exactly);
- ``mean-video``: ``num`` copies of the pixel-wise mean of those training clips, what a model
  that learned only the average scores.

Scores: FVD, KVD (raw, not x1000; plus mean/std over subsets) and k-NN precision/recall on one
feature set (I3D logits by default, ``inrv_jax.metrics.i3d``); each row carries its ``Protocol``
dict. Clips shorter than 16 frames are resampled linearly in time, both sets alike
(``metrics.i3d.fit_frames``): such numbers compare runs of this project, not published ones.
Deterministic: the same seed gives the same numbers to the digit.

Memorization (``memorization=True``, ``tasks.memorization``): for every model row, the
distances of its samples to the nearest training latent and training clip (all training clips in
pixels; the training row's clips in features) against the held-out clips' distances, under
``"memorization"``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from inrv_jax.errors import InputError
from inrv_jax.metrics.generation_scores import score_features
from inrv_jax.metrics.i3d import RESOLUTION, I3DFeatures, fit_frames
from inrv_jax.metrics.precision_recall import DEFAULT_K
from inrv_jax.metrics.protocol import Protocol
from inrv_jax.prior.store import fitted_kinds
from inrv_jax.tasks import memorization as mem
from inrv_jax.tasks.generate import generate
from inrv_jax.tasks.videos import training_videos

KVD_SUBSETS = 100


class FakeSet(NamedTuple):
    """Clips to score: ``videos`` f32[B, T, H, W, 3] in [-1, 1], each ``repeat`` times."""

    videos: np.ndarray
    repeat: int
    source: str
    indices: tuple[int, ...]
    latents: np.ndarray | None = None  # f32[B, D] of generated clips (memorization)


class Row(NamedTuple):
    label: str  # for the markdown table
    build: Callable[..., FakeSet]  # (trained, num, seed, training clips) -> FakeSet


def _generated(mode: str, workdir=None) -> Callable[..., FakeSet]:
    def build(trained, num, seed, train_clips):
        z, videos = generate(trained, mode, num, seed=seed, workdir=workdir)
        return FakeSet(np.clip(videos, -1, 1), 1, f"checkpoint step {trained.step}", (), z)

    return build


def _training(trained, num, seed, train_clips) -> FakeSet:
    return FakeSet(train_clips, 1, trained.settings.data.spec, tuple(range(len(train_clips))))


def _mean_video(trained, num, seed, train_clips) -> FakeSet:
    # Every sample is the same clip: embed it once and repeat its features.
    mean = train_clips.mean(axis=0, keepdims=True)
    return FakeSet(mean, num, trained.settings.data.spec, tuple(range(len(train_clips))))


ROWS = {
    "random-interpolated": Row("model, random-interpolated", _generated("random-interpolated")),
    "random": Row("model, random", _generated("random")),
    "training": Row("reference: training clips", _training),
    "mean-video": Row("reference: mean training video", _mean_video),
}
MODEL_ROWS = ("random-interpolated", "random")  # the rows above the prior rows


def rows_for(workdir=None) -> dict[str, Row]:
    """``ROWS`` with a ``prior:KIND`` row after the model rows for every prior fitted in
    ``workdir``."""
    priors = {
        f"prior:{k}": Row(f"model, prior:{k}", _generated(f"prior:{k}", workdir))
        for k in (fitted_kinds(workdir) if workdir is not None else ())
    }
    model = {name: ROWS[name] for name in MODEL_ROWS}
    return {**model, **priors, **{k: v for k, v in ROWS.items() if k not in model}}


def generation_section(
    trained,
    heldout_videos,
    *,
    num: int,
    seed: int,
    resolution: int = RESOLUTION,
    k: int = DEFAULT_K,
    kvd_subsets: int = KVD_SUBSETS,
    heldout_paths: Sequence[str] | None = None,
    heldout_source: str | None = None,
    features=None,
    workdir=None,
    memorization: bool = True,
    log=print,
) -> dict:
    """FVD, KVD and precision/recall of every row of ``ROWS`` against held-out clips.

    Args:
      trained: a ``TrainedModel``.
      heldout_videos: f32[N, T, H, W, 3] in [-1, 1], clips the model never saw, at the model's
        clip shape (``tasks.videos.heldout_videos``).
      num: generated clips per model row (and at most this many training clips).
      seed: generation seed (also seeds the KVD subsets).
      resolution: I3D frame size (224 = published protocol; lower is cheaper, see
        ``metrics.i3d``); ignored by a custom ``features``.
      k: neighbours of precision/recall.
      kvd_subsets: subsets for the KVD mean/std (0: none); each of
        ``max(2, min(N real, N fake) // 2)`` samples per set.
      heldout_paths, heldout_source: which held-out clips (recorded in the protocol).
      features: ``f(clips f32[B, 16, H, W, 3]) -> f[B, D]`` with a ``name``; default I3D logits.
      workdir: the model's workdir; its fitted priors add ``prior:KIND`` rows.
      memorization: add the memorization numbers of the model rows (``tasks.memorization``).

    Returns:
      ``{"rows": {row: scores with "protocol"}, "seconds": {row: s}}`` (see ``score_features``),
      plus ``"memorization": {model row: summary}`` with ``memorization``.
    """
    features = I3DFeatures(resolution=resolution) if features is None else features
    real = np.clip(np.asarray(heldout_videos, np.float32), -1, 1)
    train_clips = _check_inputs(trained, real, num, k)
    real_feats, resampling = _embed_heldout(real, features, log)
    base = _shared_protocol(
        trained, features, resolution, len(real), resampling, seed, k, heldout_paths, heldout_source
    )
    rows, seconds, fakes, feats = {}, {}, {}, {}
    for name, row in rows_for(workdir).items():
        start = time.perf_counter()
        fakes[name] = row.build(trained, num, seed, train_clips)
        feats[name] = np.asarray(features(fit_frames(fakes[name].videos)[0]), np.float64)
        rows[name] = _score_row(name, fakes[name], feats[name], real_feats, base, kvd_subsets)
        seconds[name] = time.perf_counter() - start
        log(f"generation {name}: {_fmt(rows[name])} ({seconds[name]:.0f} s)")
    section = {"rows": rows, "seconds": seconds}
    if memorization:
        section["memorization"] = _memorization(trained, real, real_feats, fakes, feats)
    return section


def _embed_heldout(real: np.ndarray, features, log) -> tuple[np.ndarray, str]:
    """(features f64[N, D] of the held-out clips f32[N, T, H, W, 3], the time resampling
    ``fit_frames`` applied to them: ``"none"`` or ``"linear"``)."""
    start = time.perf_counter()
    real_frames, resampling = fit_frames(real)
    real_feats = np.asarray(features(real_frames), np.float64)
    log(f"generation: {len(real)} held-out clips embedded ({time.perf_counter() - start:.0f} s)")
    return real_feats, resampling


def _shared_protocol(
    trained,
    features,
    resolution: int,
    num_real: int,
    resampling: str,
    seed: int,
    k: int,
    heldout_paths: Sequence[str] | None,
    heldout_source: str | None,
) -> dict:
    """The ``Protocol`` fields every row shares: the held-out set, the clip shape, the feature
    network and its settings, the seed and k."""
    return {
        "real_source": heldout_source or f"held-out clips of {trained.settings.data.spec}",
        "real_paths": tuple(str(p) for p in heldout_paths or ()),
        "num_real": num_real,
        "clip_shape": tuple(trained.video_shape),
        "time_resampling": resampling,
        "resolution": getattr(features, "resolution", resolution),
        "quantize": getattr(features, "quantize", True),
        "feature_network": getattr(features, "name", type(features).__name__),
        "seed": seed,
        "k": k,
    }


def _memorization(trained, real, real_feats, fakes: dict, feats: dict) -> dict:
    """``tasks.memorization.summary`` of every row with latents (the model rows)."""
    all_train = training_videos(trained)
    ref = mem.heldout_reference(real, real_feats, all_train, feats["training"], trained.latents)
    return {
        name: mem.summary(
            fake.videos,
            feats[name],
            fake.latents,
            all_train,
            feats["training"],
            trained.latents,
            ref,
        )  # fmt: skip
        for name, fake in fakes.items()
        if fake.latents is not None
    }


def _check_inputs(trained, real: np.ndarray, num: int, k: int) -> np.ndarray:
    """Fail before any long work; returns the training clips of the reference rows."""
    shape = tuple(trained.video_shape)
    if real.ndim != 5 or tuple(real.shape[1:4]) != shape:
        raise InputError(
            f"held-out clips have shape {real.shape[1:4]}; the model's clips are {shape}: load "
            "them at the model's clip shape (tasks.videos.heldout_videos)"
        )
    if min(num, len(real)) <= k:
        raise InputError(
            f"generation scores need more than k={k} clips per set, got --num {num} and "
            f"{len(real)} held-out clips"
        )
    train_clips = training_videos(trained, num)
    if len(train_clips) <= k:
        raise InputError(
            f"the training reference row needs more than k={k} training clips; the model has "
            f"{len(train_clips)}: lower k"
        )
    return train_clips


def _score_row(name, fake: FakeSet, feats, real_feats, base: dict, kvd_subsets: int) -> dict:
    feats = np.repeat(feats, fake.repeat, axis=0)
    size = max(2, min(len(real_feats), len(feats)) // 2)
    protocol = Protocol(
        fake=name,
        fake_source=fake.source,
        fake_indices=fake.indices,
        num_fake=len(feats),
        kvd_subsets=kvd_subsets,
        kvd_subset_size=size if kvd_subsets else 0,
        **base,
    )
    return score_features(real_feats, feats, protocol)


def _fmt(scores: dict) -> str:
    return ", ".join(f"{key} {scores[key]:.4g}" for key in ("fvd", "kvd", "precision", "recall"))


def markdown_rows(section: dict) -> list[str]:
    """The generation table: header, separator, one line per row of ``ROWS`` present."""
    lines = [
        "| samples vs held-out | FVD ↓ | KVD ↓ | precision ↑ | recall ↑ | N gen / N real |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, scores in section["rows"].items():
        p = scores["protocol"]
        kvd = f"{scores['kvd']:.2f}"
        if scores.get("kvd_subset_std") is not None:
            kvd += f" ± {scores['kvd_subset_std']:.2f}"
        label = ROWS[name].label if name in ROWS else f"model, {name}"
        lines.append(
            f"| {label} | {scores['fvd']:.1f} | {kvd} | {scores['precision']:.3f} | "
            f"{scores['recall']:.3f} | {p['num_fake']} / {p['num_real']} |"
        )
    return lines


def markdown_note(section: dict) -> str:
    """One line under the table: the protocol the rows share."""
    p = next(iter(section["rows"].values()))["protocol"]
    t, h, w = p["clip_shape"]
    frames = f"{p['frames']} frames" + (
        f" (resampled linearly from {t}: not comparable to published FVD)"
        if p["time_resampling"] == "linear"
        else ""
    )
    return (
        f"Clips {t}×{h}×{w} vs {p['num_real']} held-out clips ({p['real_source']}); "
        f"{p['feature_network']} at {p['resolution']}×{p['resolution']}, {frames}; "
        f"precision/recall k={p['k']}; KVD raw (not ×1000), ± = std over {p['kvd_subsets']} "
        f"subsets of {p['kvd_subset_size']}; seed {p['seed']}."
    )


def memorization_rows(section: dict) -> list[str]:
    """The memorization table (see ``tasks.memorization``): one line per model row and the
    held-out reference; empty without memorization numbers."""
    memo = section.get("memorization") or {}
    if not memo:
        return []
    lines = [
        "| samples | nearest-train PSNR (median) | nearest-train I3D dist. (median) | "
        "closer than held-out p5: pixels / I3D | latent NN dist. (median) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, m in memo.items():
        latent = m.get("latent_distance_median")
        lines.append(
            f"| model, {name} | {m['pixel_psnr_median']:.2f} | {m['feature_distance_median']:.2f}"
            f" | {m['closer_than_heldout_p5_pixels']:.2f} / "
            f"{m['closer_than_heldout_p5_features']:.2f} | "
            + ("–" if latent is None else f"{latent:.3g}")
            + " |"
        )
    m = next(iter(memo.values()))
    lines.append(
        f"| held-out real clips | {m['heldout_pixel_psnr_median']:.2f} | "
        f"{m['heldout_feature_distance_median']:.2f} | 0.05 (by definition) | "
        f"{m.get('train_latent_loo_distance_median', float('nan')):.3g} (training, leave-one-out) |"
    )
    return lines
