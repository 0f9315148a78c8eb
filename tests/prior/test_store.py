"""Gaussian and GMM priors fit known distributions; every kind round-trips through the store."""

import numpy as np
import pytest

from inrv_jax.errors import InputError
from inrv_jax.prior import fit_prior, sample_prior
from inrv_jax.prior.store import fitted_kinds, load_prior, save_prior

TINY = {"gaussian": {}, "gmm": {"components": 2}, "flow": {"steps": 20, "hidden": 16}}


def _latents(n=400, seed=0):
    rng = np.random.default_rng(seed)
    cov = np.array([[4.0, 1.8, 0.0], [1.8, 1.0, 0.0], [0.0, 0.0, 0.25]])
    return (rng.multivariate_normal([1.0, -2.0, 5.0], cov, n)).astype(np.float32), cov


def test_gaussian_prior_recovers_mean_and_full_covariance():
    z, cov = _latents(4000)
    s = sample_prior(fit_prior(z, "gaussian"), 20000, seed=0)
    # The fit is of these latents: their moments, up to the sampling error of 20000 draws.
    np.testing.assert_allclose(s.mean(0), z.mean(0), atol=0.05)
    np.testing.assert_allclose(np.cov(s, rowvar=False), np.cov(z, rowvar=False), atol=0.12)
    assert np.abs(np.cov(z, rowvar=False) - cov).max() < 0.3  # the data is the known Gaussian


def test_gmm_prior_samples_its_components_by_weight():
    rng = np.random.default_rng(1)
    z = np.concatenate([rng.normal(-4, 0.3, (250, 2)), rng.normal(4, 0.3, (750, 2))])
    prior = fit_prior(z.astype(np.float32), "gmm", seed=0, components=2)
    assert sorted(np.round(prior.arrays["weights"], 2)) == [0.25, 0.75]
    s = sample_prior(prior, 4000, seed=2)
    assert (s[:, 0] > 0).mean() == pytest.approx(0.75, abs=0.03)
    np.testing.assert_array_equal(s, sample_prior(prior, 4000, seed=2))


@pytest.mark.parametrize("kind", list(TINY))
def test_every_kind_round_trips_through_the_store(kind, tmp_path):
    z, _ = _latents()
    prior = fit_prior(z, kind, seed=0, step=30, **TINY[kind])
    save_prior(tmp_path, prior)
    loaded = load_prior(tmp_path, kind, step=30, dim=3)
    assert loaded.meta == {**prior.meta, "options": loaded.meta["options"]}
    np.testing.assert_array_equal(sample_prior(loaded, 8, seed=1), sample_prior(prior, 8, seed=1))
    assert fitted_kinds(tmp_path) == [kind]


def test_store_warns_on_another_step_and_refuses_another_latent_size(tmp_path):
    z, _ = _latents()
    save_prior(tmp_path, fit_prior(z, "gaussian", step=30))
    with pytest.warns(UserWarning, match="step 30.*inrv fit-prior"):
        load_prior(tmp_path, "gaussian", step=60, dim=3)
    with pytest.raises(InputError, match="size 3, the model 4"):
        load_prior(tmp_path, "gaussian", step=30, dim=4)
    with pytest.raises(InputError, match="inrv fit-prior --workdir .* --kind gmm"):
        load_prior(tmp_path, "gmm")
    with pytest.raises(InputError, match="unknown; use one of gaussian, gmm, flow"):
        fit_prior(z, "vae")
