"""Frozen frame encoders: registry behaviour and recorded VGG16 features."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from inrv_jax.frame_encoders import known_frame_encoders, make_frame_encoder


def _pattern(size):
    """A fixed smooth RGB test image ``[1, size, size, 3]`` in [-1, 1]."""
    h = np.arange(size) / size
    r = np.sin(2 * np.pi * h)[:, None] * np.cos(2 * np.pi * h)[None, :]
    g = np.outer(h, h) * 2 - 1
    b = np.cos(3 * np.pi * (h[:, None] + h[None, :]))
    return np.stack([r, g, b], -1).astype(np.float32)[None]


@pytest.fixture(scope="module")
def vgg():
    enc = make_frame_encoder("vgg16")
    return enc._replace(apply=jax.jit(enc.apply))


# Recorded once on CPU (jax 0.10, float32) for _pattern(32) with the default min_size=64.
_GOLDEN_FIRST8 = [0.0345189, 0.0, 0.0, 0.0, 0.0, 0.1079993, 0.0033406, 0.0]
_GOLDEN_TOP5 = {237: 7.393002, 93: 7.036772, 489: 5.496702, 403: 4.148819, 150: 3.978159}
_GOLDEN_MEAN = 0.19355851


def test_vgg16_features_match_recorded_values(vgg):
    feats = np.asarray(vgg.apply(vgg.params, jnp.asarray(_pattern(32))))
    assert vgg.dim == 512 and feats.shape == (1, 512) and feats.dtype == np.float32
    np.testing.assert_allclose(feats[0, :8], _GOLDEN_FIRST8, rtol=1e-3, atol=1e-4)
    for idx, value in _GOLDEN_TOP5.items():
        np.testing.assert_allclose(feats[0, idx], value, rtol=1e-3)
    np.testing.assert_allclose(feats.mean(), _GOLDEN_MEAN, rtol=1e-3)
    assert np.all(feats >= 0)  # average of ReLU maps


def test_vgg16_per_frame_and_differentiable(vgg):
    rng = np.random.default_rng(0)
    frames = jnp.asarray(rng.uniform(-1, 1, (3, 24, 40, 3)).astype(np.float32))
    batch = vgg.apply(vgg.params, frames)
    single = vgg.apply(vgg.params, frames[1:2])
    assert batch.shape == (3, 512)
    np.testing.assert_allclose(batch[1:2], single, rtol=1e-4, atol=1e-5)
    assert float(jnp.abs(batch[0] - batch[2]).max()) > 1e-3
    g = jax.jit(jax.grad(lambda f: jnp.sum(vgg.apply(vgg.params, f) ** 2)))(frames[:1])
    assert bool(jnp.all(jnp.isfinite(g))) and float(jnp.abs(g).max()) > 0
    gp = jax.jit(jax.grad(lambda p: jnp.sum(vgg.apply(p, frames[:1]))))(vgg.params)
    assert all(float(jnp.abs(leaf).max()) == 0 for leaf in jax.tree.leaves(gp))  # frozen


def test_vgg16_native_resolution_option():
    enc = make_frame_encoder("vgg16", min_size=16)
    assert enc.apply(enc.params, jnp.zeros((2, 16, 16, 3))).shape == (2, 512)
    with pytest.raises(ValueError, match=">= 16"):
        make_frame_encoder("vgg16", min_size=8)


def test_precomputed_points_to_the_data():
    with pytest.raises(ValueError, match="come with the data"):
        make_frame_encoder("precomputed")


def test_unknown_name_lists_known():
    with pytest.raises(ValueError, match="known: precomputed, vgg16") as err:
        make_frame_encoder("clip")
    assert "'clip'" in str(err.value)
    assert known_frame_encoders() == ["precomputed", "vgg16"]


def test_bad_frames(vgg):
    with pytest.raises(ValueError, match=r"\[N, H, W, 3\]"):
        vgg.apply(vgg.params, jnp.zeros((2, 1, 16, 16, 3)))
