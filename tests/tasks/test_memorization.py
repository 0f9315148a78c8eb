"""Memorization numbers on known answers, and beside the generation rows."""

import shutil

import numpy as np
import pytest

from inrv_jax.tasks import memorization as mem


def _clips(n, seed):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 2, 4, 4, 3)).astype(np.float32)


def test_nearest_sq_finds_the_nearest_clip_and_its_mean_squared_distance():
    train = _clips(5, 0)
    query = train[[3, 1]] + np.float32(0.1)  # every element off by 0.1
    mse, idx = mem.nearest_sq(query, train, chunk=1)
    np.testing.assert_array_equal(idx, [3, 1])
    np.testing.assert_allclose(mse, [0.01, 0.01], rtol=1e-4)
    np.testing.assert_allclose(mem.psnr(mse), 10 * np.log10(4 / 0.01), rtol=1e-4)


def test_copies_of_training_clips_are_flagged_and_new_clips_are_not():
    train, heldout, fresh = _clips(40, 0), _clips(20, 1), _clips(30, 2)
    feats = lambda x: x.reshape(len(x), -1)[:, :6].astype(np.float64)  # noqa: E731
    latents = np.random.default_rng(3).normal(size=(40, 4))
    ref = mem.heldout_reference(heldout, feats(heldout), train, feats(train), latents)
    copies = train[:30] + np.float32(1e-3)
    s = mem.summary(copies, feats(copies), latents[:30], train, feats(train), latents, ref)
    assert s["closer_than_heldout_p5_pixels"] == 1.0
    assert s["closer_than_heldout_p5_features"] == 1.0
    assert s["latent_distance_median"] == 0.0 and s["distinct_nearest_clips"] == 30
    assert s["pixel_psnr_median"] == pytest.approx(10 * np.log10(4 / 1e-6), abs=0.1)
    # Fresh uniform clips are as far from the training set as the held-out ones: 0.05 expected.
    s = mem.summary(fresh, feats(fresh), None, train, feats(train), latents, ref)
    assert s["closer_than_heldout_p5_pixels"] <= 0.2
    assert abs(s["pixel_psnr_median"] - s["heldout_pixel_psnr_median"]) < 0.3
    assert "latent_distance_median" not in s


def test_generation_section_has_prior_rows_and_memorization(workdir, trained, tmp_path):
    from inrv_jax.prior.store import fitted_kinds
    from inrv_jax.tasks import generation
    from inrv_jax.tasks.fit_prior import fit_workdir
    from inrv_jax.tasks.videos import heldout_videos

    own = tmp_path / "run"
    shutil.copytree(workdir, own)
    fit_workdir(own, "gaussian")
    assert fitted_kinds(own) == ["gaussian"]

    def mean_colour(clips):  # a cheap stand-in for I3D
        return np.asarray(clips, np.float64).mean(axis=(1, 2, 3))

    mean_colour.name = "mean-colour"
    videos, _ = heldout_videos(trained, 5)
    kw = {"num": 4, "seed": 0, "k": 2, "features": mean_colour, "log": lambda *_: None}
    section = generation.generation_section(trained, videos, workdir=own, **kw)
    assert list(section["rows"]) == [
        "random-interpolated", "random", "prior:gaussian", "training", "mean-video"
    ]  # fmt: skip
    assert list(section["memorization"]) == ["random-interpolated", "random", "prior:gaussian"]
    m = section["memorization"]["prior:gaussian"]
    assert m["num_samples"] == 4 and m["num_train_clips"] == 4 and m["num_heldout"] == 5
    assert "| model, prior:gaussian |" in "\n".join(generation.markdown_rows(section))
    assert len(generation.memorization_rows(section)) == 2 + 3 + 1
    # Without the workdir: the official rows only, the same numbers.
    plain = generation.generation_section(trained, videos, memorization=False, **kw)
    assert list(plain["rows"]) == list(generation.ROWS) and "memorization" not in plain
    assert plain["rows"]["random"]["fvd"] == section["rows"]["random"]["fvd"]


def test_nearest_other_latent_matches_brute_force_across_chunks():
    from inrv_jax.tasks.memorization import nearest_other

    z = np.random.default_rng(0).normal(size=(70, 5))
    d = ((z[:, None] - z[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    np.testing.assert_allclose(nearest_other(z, chunk=16), np.sqrt(d.min(1)), rtol=1e-9)
