"""Core structure and numerics: grid, encoding, INR spec, hypernetwork, chunked rendering."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from inrv_jax.coords import axis_values, iter_chunks, make_grid, num_sampled, sample_indices
from inrv_jax.encoding import nerf_encode
from inrv_jax.hypernet import make_hypernet
from inrv_jax.inr import (
    INRSpec,
    inr_apply,
    inr_init,
    inr_num_params,
    inr_param_spec,
    render_batch,
    render_chunked,
)
from inrv_jax.settings import HypernetSettings


def hn_cfg(kind="per_tensor", hidden=256, depth=4):
    return HypernetSettings(kind=kind, hidden=hidden, depth=depth, out_scale=0.1)


def test_grid_matches_official_convention():
    # t / max(T-1, 1), h / (H-1), w / (W-1), then (x - 0.5) * 2; t-major, then h, then w.
    g = make_grid(3, 2, 5)
    assert g.shape == (30, 3)
    np.testing.assert_allclose(g[0], [-1, -1, -1])
    np.testing.assert_allclose(g[1], [-1, -1, -0.5])
    np.testing.assert_allclose(g[5], [-1, 1, -1])  # next row
    np.testing.assert_allclose(g[10], [0, -1, -1])  # next frame
    np.testing.assert_allclose(g[-1], [1, 1, 1])
    # One frame: t / max(0, 1) = 0 -> -1.
    np.testing.assert_allclose(axis_values(1), [-1.0])
    # Pixel i of the flattened grid is (i // (H*W), (i // W) % H, i % W).
    i = 23
    np.testing.assert_allclose(
        g[i], [axis_values(3)[i // 10], axis_values(2)[(i // 5) % 2], axis_values(5)[i % 5]]
    )


def test_grid_with_explicit_times_between_frames():
    g = make_grid(3, 2, 2, times=np.array([-1.0, -0.5, 0.0], np.float32))
    np.testing.assert_allclose(g[4:8, 0], -0.5)


def test_nerf_encoding_order_hand_computed():
    x = jnp.array([0.1, -0.2, 0.3])
    e = np.asarray(nerf_encode(x, 10))
    assert e.shape == (63,)
    np.testing.assert_allclose(e[:3], [0.1, -0.2, 0.3])
    pi = np.pi
    expected = [
        np.sin(pi * 0.1), np.cos(pi * 0.1),
        np.sin(-pi * 0.2), np.cos(-pi * 0.2),
        np.sin(pi * 0.3), np.cos(pi * 0.3),
        np.sin(2 * pi * 0.1), np.cos(2 * pi * 0.1),
    ]  # fmt: skip
    np.testing.assert_allclose(e[3:11], expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(e[-2:], [np.sin(512 * pi * 0.3), np.cos(512 * pi * 0.3)], atol=1e-4)


def test_coordinate_sampling_and_chunks():
    idx = np.asarray(sample_indices(jax.random.key(0), 100, 30))
    assert len(set(idx.tolist())) == 30 and idx.min() >= 0 and idx.max() < 100
    assert num_sampled(1000, 0.25) == 250
    with pytest.raises(ValueError, match="sample_frac"):
        num_sampled(10, 0.0)
    slices = list(iter_chunks(10, 4))
    assert [(s.start, s.stop) for s in slices] == [(0, 4), (4, 8), (8, 10)]


def test_official_parameter_counts():
    spec = INRSpec()
    assert inr_num_params(spec) == 214_531
    for latent, expected in ((128, 57_438_467), (64, 57_274_627)):
        hn = make_hypernet(spec, hn_cfg())
        shapes = jax.eval_shape(hn.init, jax.random.key(0), jnp.zeros((1, latent)))
        assert sum(x.size for x in jax.tree.leaves(shapes)) == expected


@pytest.mark.parametrize("inr_kind", ["relu_pe", "siren"])
@pytest.mark.parametrize("hn_kind", ["per_tensor", "shift_modulation"])
def test_hypernet_output_tree_equals_inr_spec(inr_kind, hn_kind):
    spec = INRSpec(kind=inr_kind, hidden=32, depth=3)
    hn = make_hypernet(spec, hn_cfg(hn_kind, hidden=16, depth=2))
    z = jax.random.normal(jax.random.key(1), (2, 8))
    params = hn.init(jax.random.key(0), z)
    out = hn.apply(params, z)
    ref = inr_param_spec(spec)
    assert jax.tree.structure(out) == jax.tree.structure(ref)
    for o, r in zip(jax.tree.leaves(out), jax.tree.leaves(ref), strict=True):
        assert o.shape == (2, *r.shape)
    # The generated params drive the same INR apply.
    rgb = render_batch(out, jnp.asarray(make_grid(2, 3, 3)), spec)
    assert rgb.shape == (2, 18, 3) and bool(jnp.isfinite(rgb).all())


def test_inr_apply_matches_numpy_forward():
    spec = INRSpec(hidden=16, depth=2, num_freqs=4)
    params = inr_init(jax.random.key(0), spec)
    coord = jnp.array([0.25, -0.5, 1.0])
    x = np.asarray(nerf_encode(coord, 4), np.float64)
    p = jax.tree.map(lambda a: np.asarray(a, np.float64), params)
    for layer in p[:-1]:
        x = np.maximum(layer["w"] @ x + layer["b"], 0)
    ref = p[-1]["w"] @ x + p[-1]["b"]
    np.testing.assert_allclose(inr_apply(params, coord, spec), ref, rtol=1e-5, atol=1e-6)


def test_siren_apply_uses_sine_with_w0():
    spec = INRSpec(kind="siren", hidden=8, depth=1, w0=30.0)
    params = inr_init(jax.random.key(0), spec)
    coord = jnp.array([0.1, 0.2, 0.3])
    h = np.sin(30.0 * (np.asarray(params[0]["w"]) @ np.asarray(coord) + np.asarray(params[0]["b"])))
    ref = np.asarray(params[1]["w"]) @ h + np.asarray(params[1]["b"])
    np.testing.assert_allclose(inr_apply(params, coord, spec), ref, rtol=1e-5, atol=1e-6)


def test_chunked_rendering_equals_unchunked():
    spec = INRSpec(hidden=32, depth=2)
    keys = jax.random.split(jax.random.key(0), 3)
    params = jax.vmap(lambda k: inr_init(k, spec))(keys)
    coords = jnp.asarray(make_grid(3, 7, 5))  # 105 coords: last chunk is partial
    full = render_batch(params, coords, spec)
    chunked = jax.jit(lambda p, c: render_chunked(p, c, spec, chunk=16))(params, coords)
    np.testing.assert_allclose(chunked, full, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("hn_kind", ["per_tensor", "shift_modulation"])
def test_bfloat16_compute_renders_close_to_float32(hn_kind):
    spec = INRSpec(hidden=32, depth=2)
    z = 0.1 * jax.random.normal(jax.random.key(1), (2, 8))
    f32 = make_hypernet(spec, hn_cfg(hn_kind, hidden=16, depth=2))
    bf16 = make_hypernet(spec, hn_cfg(hn_kind, hidden=16, depth=2), dtype=jnp.bfloat16)
    params = f32.init(jax.random.key(0), z)
    coords = jnp.asarray(make_grid(2, 4, 4))
    out16 = bf16.apply(params, z)
    assert out16[0]["w"].dtype == jnp.bfloat16
    a = render_batch(f32.apply(params, z), coords, spec)
    b = render_batch(out16, coords, spec)
    assert b.dtype == jnp.float32
    np.testing.assert_allclose(b, a, atol=0.05 * float(jnp.abs(a).max()) + 1e-3)
