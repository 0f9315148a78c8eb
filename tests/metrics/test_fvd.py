"""FVD: Fréchet distance against a float64 SciPy reference; I3D loads offline and is stable."""

import numpy as np
import pytest
import scipy.linalg

from inrv_jax.metrics import fvd


def _scipy_frechet(a, b):
    """The textbook computation (as in the FVD / FID reference code), float64."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def _features(n, d, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(d, d)) / np.sqrt(d)
    return rng.normal(size=(n, d)) @ mix + shift


@pytest.mark.parametrize(("n", "d"), [(600, 64), (500, 200)])
def test_frechet_matches_scipy(n, d):
    a, b = _features(n, d, 0), _features(n, d, 1, shift=0.3)
    np.testing.assert_allclose(fvd.frechet_distance(a, b), _scipy_frechet(a, b), rtol=1e-6)


def test_frechet_of_a_set_with_itself_is_zero():
    a = _features(500, 128, 2) * 10.0
    assert abs(fvd.frechet_distance(a, a)) < 1e-6 * np.trace(np.cov(a, rowvar=False))
    # Also with singular covariances (fewer samples than dimensions, as in small evaluations).
    small = _features(50, 200, 3)
    assert abs(fvd.frechet_distance(small, small)) < 1e-8 * np.trace(np.cov(small, rowvar=False))


def test_frechet_of_pure_mean_shift():
    a = _features(300, 16, 4)
    np.testing.assert_allclose(fvd.frechet_distance(a, a + 2.0), 16 * 4.0, rtol=1e-9)


def test_bad_feature_shapes():
    with pytest.raises(ValueError, match="N >= 2"):
        fvd.frechet_distance(np.zeros((1, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="disagree"):
        fvd.frechet_distance(np.zeros((3, 4)), np.zeros((3, 5)))


def test_clip_validation():
    with pytest.raises(ValueError, match="at least 16 frames"):
        fvd.preprocess(np.zeros((1, 15, 32, 32, 3), np.float32))
    with pytest.raises(ValueError, match=r"\[B, T, H, W, 3\]"):
        fvd.preprocess(np.zeros((16, 32, 32, 3), np.float32))


def test_preprocess_resizes_and_keeps_first_16_frames():
    t = np.linspace(-1, 1, 20, dtype=np.float32)
    clip = np.broadcast_to(t[None, :, None, None, None], (1, 20, 8, 8, 3))
    out = np.asarray(fvd.preprocess(clip, quantize=False))
    assert out.shape == (1, 16, 224, 224, 3)
    np.testing.assert_allclose(out[0, :, 100, 100, 0], t[:16], atol=1e-6)


# First logits of the I3D on a fixed random clip, recorded once on CPU (jax 0.10, float32).
_GOLDEN_FIRST5 = [-0.24942131, 4.7593303, 5.599479, 2.2034936, 1.0685426]


def test_i3d_offline_finite_deterministic():
    i3d = fvd.load_i3d()
    clip = np.random.default_rng(0).uniform(-1, 1, (1, 16, 32, 32, 3)).astype(np.float32)
    e1 = np.asarray(fvd.i3d_embed(i3d, clip))
    assert e1.shape == (1, fvd.EMBED_DIM) and np.all(np.isfinite(e1))
    np.testing.assert_allclose(e1[0, :5], _GOLDEN_FIRST5, rtol=1e-3, atol=1e-3)
    # Same compiled program through the batching path (batch_size 1): bit-identical.
    e2 = fvd.embed_all(i3d, clip, batch_size=1)
    assert e2.dtype == np.float64
    np.testing.assert_array_equal(e2, e1)


def test_compute_fvd_batches_pad_and_stream():
    """Batching logic with a stand-in network (per-clip channel means), so no I3D cost."""
    import jax.numpy as jnp

    stub = fvd.I3D(variables=None, apply=lambda v, clips: jnp.mean(clips, axis=(1, 2, 3)))
    rng = np.random.default_rng(5)
    real = rng.uniform(-1, 1, (5, 16, 4, 4, 3)).astype(np.float32)
    fake = rng.uniform(-1, 1, (5, 17, 4, 4, 3)).astype(np.float32)
    feats = fvd.embed_all(stub, real, batch_size=2, quantize=False)  # 2 + 2 + 1 (padded)
    np.testing.assert_allclose(feats, real.mean(axis=(1, 2, 3)), rtol=1e-5, atol=1e-6)
    streamed = fvd.embed_all(stub, iter([real[:3], real[3:]]), batch_size=2, quantize=False)
    np.testing.assert_allclose(streamed, feats, rtol=1e-6)
    expected = _scipy_frechet(feats, fake[:, :16].mean(axis=(1, 2, 3)).astype(np.float64))
    got = fvd.compute_fvd(real, fake, batch_size=2, i3d=stub, quantize=False)
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    assert fvd.compute_fvd(real, real, batch_size=4, i3d=stub) < 1e-9
