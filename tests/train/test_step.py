"""The sharded train step equals the single-device step; sharding rules are deliberate."""

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import PartitionSpec as P

from inrv_jax.coords import make_grid
from inrv_jax.model import make_model
from inrv_jax.settings import Settings, replace
from inrv_jax.sharding import global_batch, make_mesh, path_str
from inrv_jax.train.step import build_step

from helpers import blob_videos, tiny_settings


def _run(settings, devices, steps=2):
    t, h, w = settings.video_shape
    parts = build_step(settings, 4, devices=devices)
    state = parts.init_state(jax.random.key(0))
    videos = blob_videos(4, t, h, w)
    batch = global_batch({"index": np.arange(4, dtype=np.int32), "video": videos}, parts.mesh)
    coords = jnp.asarray(make_grid(t, h, w))
    losses = []
    for _ in range(steps):
        state, m = parts.step_fn(state, batch, coords, jax.random.key(1))
        losses.append(float(m["train/loss"]))
    return state, losses, parts.state_sh


def test_sharded_step_on_4x2_mesh_equals_single_device():
    assert jax.device_count() == 8, "tests/conftest.py sets 8 simulated CPU devices"
    config = tiny_settings(**{"train.sample_frac": 0.5})
    s1, l1, _ = _run(replace(config, {"mesh.data": 1, "mesh.model": 1}), jax.devices()[:1])
    s8, l8, sh8 = _run(replace(config, {"mesh.data": 4, "mesh.model": 2}), jax.devices())
    np.testing.assert_allclose(l8, l1, rtol=1e-5, atol=1e-6)
    for a, b in zip(jax.tree.leaves(s8.params), jax.tree.leaves(s1.params), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
    # The heads' output layers really are split over `model`.
    specs = {path_str(p): s.spec for p, s in jax.tree_util.tree_flatten_with_path(sh8.params)[0]}
    assert specs["hypernet/out_0"] == P(None, "model")
    assert s8.params["hypernet"]["out_0"].sharding.spec == P(None, "model")


def test_parameter_partition_specs_golden():
    """Golden file of PartitionSpecs at the official architecture: changes must be deliberate."""
    from inrv_jax.sharding import tree_shardings

    c = replace(Settings(), {"mesh.data": 4, "mesh.model": 2})
    model = make_model(c.model, 10)
    abstract = jax.eval_shape(model.init, jax.random.key(0))
    mesh = make_mesh(c.mesh, jax.devices())
    sh = tree_shardings(abstract, mesh, c.mesh.rules)
    specs = {path_str(p): tuple(s.spec) for p, s in jax.tree_util.tree_flatten_with_path(sh)[0]}
    golden = {
        "codes/embedding": (),
        "hypernet/hidden_0": (),
        "hypernet/hidden_0_bias": (),
        "hypernet/out_0": (None, "model"),  # layer 0 weight: 256 -> 63*256
        "hypernet/out_0_bias": ("model",),
        "hypernet/out_8": (None, "model"),  # output layer weight: 256 -> 3*256
        # Output-layer bias of the INR: 3 values, not divisible by 2 -> replicated.
        "hypernet/out_9": (None, None),
        "hypernet/out_9_bias": (None,),
    }
    for k, v in golden.items():
        assert specs[k] == v, (k, specs[k])


def test_bfloat16_compute_step_trains_with_float32_master_params():
    """``model.compute_dtype=bfloat16`` (the accelerator option): bf16 matmuls, f32 params and
    Adam state; the loss tracks the f32 step's and falls."""
    devices = jax.devices()[:1]
    s32, l32, _ = _run(tiny_settings(), devices, steps=30)
    s16, l16, _ = _run(tiny_settings(**{"model.compute_dtype": "bfloat16"}), devices, 30)
    assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(s16.params))
    floats = [x for x in jax.tree.leaves(s16.opt_state) if jnp.issubdtype(x.dtype, jnp.floating)]
    assert floats and all(x.dtype == jnp.float32 for x in floats)
    np.testing.assert_allclose(l16[0], l32[0], rtol=0.02)
    assert l16[-1] < 0.5 * l16[0]
    np.testing.assert_allclose(l16[-1], l32[-1], rtol=0.2)
