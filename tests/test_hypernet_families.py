"""Hypernetwork families low_rank, chunked and film: tree, counts, fitting, sharding, checkpoints.

(per_tensor and shift_modulation are covered in tests/test_core.py and tests/train/.)
"""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from inrv_jax.checkpoint import load_trained
from inrv_jax.coords import make_grid
from inrv_jax.hypernet import HYPERNETS, make_hypernet
from inrv_jax.inr import INRSpec, inr_param_spec, render_batch
from inrv_jax.metrics.image import psnr
from inrv_jax.model import make_model
from inrv_jax.pixels import to_unit_range
from inrv_jax.rendering import FromLatents, render
from inrv_jax.settings import HypernetSettings, Settings, replace
from inrv_jax.sharding import global_batch, make_mesh, path_str, tree_shardings
from inrv_jax.train.loop import train_and_evaluate
from inrv_jax.train.step import build_step, learned_latents

from helpers import blob_videos, tiny_settings

FAMILIES = ["low_rank", "chunked", "film"]


def _cfg(kind, **kw):
    return HypernetSettings(**{"kind": kind, "hidden": 16, **kw})


def _count(hn, latent):
    shapes = jax.eval_shape(hn.init, jax.random.key(0), jnp.zeros((1, latent)))
    return sum(x.size for x in jax.tree.leaves(shapes))


def test_families_are_registered():
    assert set(FAMILIES) <= set(HYPERNETS)


@pytest.mark.parametrize("inr_kind", ["relu_pe", "siren"])
@pytest.mark.parametrize("kind", FAMILIES + ["film_mlp"])
def test_output_tree_equals_inr_spec(inr_kind, kind):
    spec = INRSpec(kind=inr_kind, hidden=32, depth=3)
    cfg = _cfg("film", mapping="mlp") if kind == "film_mlp" else _cfg(kind, chunk=100)
    hn = make_hypernet(spec, cfg)
    z = jax.random.normal(jax.random.key(1), (2, 8))
    out = hn.apply(hn.init(jax.random.key(0), z), z)
    ref = inr_param_spec(spec)
    assert jax.tree.structure(out) == jax.tree.structure(ref)
    for o, r in zip(jax.tree.leaves(out), jax.tree.leaves(ref), strict=True):
        assert o.shape == (2, *r.shape)
    rgb = render_batch(out, jnp.asarray(make_grid(2, 3, 3)), spec)
    assert rgb.shape == (2, 18, 3) and bool(jnp.isfinite(rgb).all())


def test_parameter_counts_by_hand():
    # INR relu_pe 32 wide, depth 3: layers (63,32), (32,32), (32,32), (32,3).
    spec = INRSpec(hidden=32, depth=3)
    layers = [(63, 32), (32, 32), (32, 32), (32, 3)]
    inr = sum(i * o + o for i, o in layers)
    assert inr == 2048 + 1056 * 2 + 99
    d, r = 8, 4
    # low_rank: base + per layer Dense(d -> out*r), Dense(d -> in*r), Dense(d -> out), biased.
    low = inr + sum((d + 1) * (o * r) + (d + 1) * (i * r) + (d + 1) * o for i, o in layers)
    assert _count(make_hypernet(spec, _cfg("low_rank", rank=r)), d) == low
    # chunked: C = ceil(4259 / 100) = 43 chunks; embedding [43, e]; head in_z (d+1)*h,
    # in_e e*h (no bias), depth-1 more hidden layers (h+1)*h, out (h+1)*S.
    h, e, s = 16, 5, 100
    chunks = -(-inr // s)
    assert chunks == 43
    chunked = chunks * e + (d + 1) * h + e * h + (h + 1) * h + (h + 1) * s
    cfg = _cfg("chunked", chunk=s, chunk_embed=e, chunk_depth=2)
    assert _count(make_hypernet(spec, cfg), d) == chunked
    # film linear: base + Dense(d -> 2 * (32 + 32 + 32)); mlp adds Dense(d -> h) first.
    assert _count(make_hypernet(spec, _cfg("film")), d) == inr + (d + 1) * 192
    film_mlp = inr + (d + 1) * h + (h + 1) * 192
    assert _count(make_hypernet(spec, _cfg("film", mapping="mlp")), d) == film_mlp


@pytest.mark.parametrize("kind", ["low_rank", "film"])
def test_base_families_start_at_the_base_inr(kind):
    """Zero-initialised latent maps: every latent gives the same (base) INR at init."""
    spec = INRSpec(hidden=16, depth=2)
    hn = make_hypernet(spec, _cfg(kind))
    z = jax.random.normal(jax.random.key(1), (3, 8))
    params = hn.init(jax.random.key(0), z)
    out = hn.apply(params, z)
    base = params["params"]["base"]
    for o, b in zip(jax.tree.leaves(out), jax.tree.leaves(base), strict=True):
        np.testing.assert_allclose(o, np.broadcast_to(b, o.shape), atol=1e-7)


def test_unknown_film_mapping_names_the_key():
    hn = make_hypernet(INRSpec(hidden=8, depth=1), _cfg("film", mapping="deep"))
    with pytest.raises(ValueError, match="model.hypernet.mapping"):
        hn.init(jax.random.key(0), jnp.zeros((1, 4)))


@pytest.mark.parametrize("kind", FAMILIES)
def test_family_fits_four_videos_to_25db(kind):
    t, h, w = 4, 16, 16
    videos = blob_videos(4, t, h, w, seed=1)
    c = tiny_settings(
        **{
            "model.inr.hidden": 64,
            "model.hypernet.hidden": 64,
            "model.hypernet.kind": kind,
            "optim.lr": 1e-3,
            "train.steps": 400,
        }
    )
    parts = build_step(c, 4, devices=jax.devices()[:1])
    model, step, state = parts.model, parts.step_fn, parts.init_state(jax.random.key(0))
    batch = global_batch({"index": np.arange(4, dtype=np.int32), "video": videos}, parts.mesh)
    coords, key = jnp.asarray(make_grid(t, h, w)), jax.random.key(1)
    for _ in range(400):
        state, m = step(state, batch, coords, key)
    z = learned_latents(model, state.params)
    pred = render(FromLatents(model, state.params, z), (t, h, w))
    per_video = np.asarray(psnr(pred, jnp.asarray(videos)))
    assert per_video.min() >= 25.0, per_video


def _specs(kind, inr_hidden=64, hn_hidden=128):
    c = replace(Settings(), {
        "model.inr.hidden": inr_hidden, "model.hypernet.hidden": hn_hidden,
        "model.hypernet.kind": kind, "mesh.data": 4, "mesh.model": 2,
    })  # fmt: skip
    abstract = jax.eval_shape(make_model(c.model, 10).init, jax.random.key(0))
    mesh = make_mesh(c.mesh, jax.devices())
    sh = tree_shardings(abstract, mesh, c.mesh.rules)
    flat = jax.tree_util.tree_flatten_with_path(abstract)[0]
    sizes = {path_str(p): x.size for p, x in flat}
    specs = {path_str(p): tuple(s.spec) for p, s in jax.tree_util.tree_flatten_with_path(sh)[0]}
    return specs, sizes


@pytest.mark.parametrize(
    "kind, golden",
    [
        # INR 64 wide (relu_pe, depth 4), latent 64, hypernetwork 128 (the fast recipe).
        (
            "low_rank",
            {"hypernet/v_0/kernel": (None, "model"), "hypernet/u_1/kernel": (None, "model")},
        ),
        ("chunked", {"hypernet/out/kernel": (None, "model"), "hypernet/chunk_embed": ()}),
        ("film", {"hypernet/to_film/kernel": (None, "model"), "hypernet/base/0/w": ()}),
        ("shift_modulation", {"hypernet/to_shifts/kernel": (None, "model")}),
    ],
)
def test_family_partition_specs_golden(kind, golden):
    """Each family's largest hypernetwork tensor (not the codebook) splits over `model`."""
    specs, sizes = _specs(kind)
    for k, v in golden.items():
        assert specs[k] == v, (k, specs[k])
    hyper = {k: n for k, n in sizes.items() if k.startswith("hypernet/")}
    largest = max(hyper, key=hyper.get)
    assert "model" in specs[largest], (largest, specs[largest])


@pytest.mark.parametrize("kind", FAMILIES)
def test_checkpoint_restores_and_renders_identically(tmp_path, kind):
    c = tiny_settings(**{"model.hypernet.kind": kind, "model.hypernet.chunk": 512,
                         "data.num_videos": 3, "train.batch_size": 3})  # fmt: skip
    final = train_and_evaluate(c, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    tm = load_trained(tmp_path)
    assert tm.step == c.train.steps and tm.settings.model.hypernet.kind == kind
    pred = np.asarray(render(FromLatents(tm.model, tm.params, tm.latents), tm.video_shape))
    from inrv_jax.data import source_from_settings

    source = source_from_settings(tm.settings.data)
    target = np.stack([to_unit_range(source.load(i)) for i in range(3)])
    restored = np.asarray(psnr(jnp.asarray(pred), jnp.asarray(target)))
    np.testing.assert_allclose(restored, summary["recon/psnr_per_video"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(restored.mean(), final["recon/psnr"], atol=1e-4)
