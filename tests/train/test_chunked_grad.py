"""The chunked INR gradient (the train step's path without LPIPS) equals plain autodiff."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from inrv_jax.coords import make_grid
from inrv_jax.inr import INRSpec, chunked_inr_grad, coords_per_chunk, inr_init, render_batch
from inrv_jax.losses import pixel_distance, pixel_loss


@pytest.mark.parametrize("kind", ["l1", "l2"])
@pytest.mark.parametrize("chunk", [64, 100, 1024])  # divides, pads the last chunk, one chunk
def test_chunked_inr_grad_equals_autodiff(kind, chunk):
    spec = INRSpec(hidden=16, depth=2, num_freqs=3)
    params = jax.vmap(lambda k: inr_init(k, spec))(jax.random.split(jax.random.key(0), 2))
    coords = jnp.asarray(make_grid(3, 8, 16))  # 384 coordinates
    target = jax.random.uniform(jax.random.key(1), (2, coords.shape[0], 3), minval=-1, maxval=1)

    def loss(p):
        pred = render_batch(p, coords, spec)
        return pixel_distance(pred, target, kind).mean(), pred

    (ref_loss, pred), ref_grad = jax.value_and_grad(loss, has_aux=True)(params)
    dist, mse, grad = jax.jit(
        lambda p: chunked_inr_grad(p, coords, target, spec, pixel_loss(kind), chunk)
    )(params)
    np.testing.assert_allclose(dist, pixel_distance(pred, target, kind), rtol=1e-5)
    np.testing.assert_allclose(dist.mean(), ref_loss, rtol=1e-5)
    np.testing.assert_allclose(mse, jnp.square(pred - target).mean(), rtol=1e-5)
    for a, b in zip(jax.tree.leaves(grad), jax.tree.leaves(ref_grad), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_coords_per_chunk():
    # The CPU default is 2,048 rows (videos x coordinates) per chunk.
    assert coords_per_chunk(2, 250_000) == 1024
    assert coords_per_chunk(64, 250_000) == 256  # never below 256 coordinates
    assert coords_per_chunk(1, 100) == 100
    assert coords_per_chunk(8, 250_000, rows=1 << 19) == 65_536  # explicit rows (GPU sizes)


@pytest.mark.parametrize("cond", ["off", "kl"])
def test_train_step_gradients_equal_plain_autodiff(cond):
    """The step's chunked path gives jax.grad of the whole loss (codes, KL and hypernetwork)."""
    import optax

    from inrv_jax.coords import sample_indices
    from inrv_jax.model import make_model
    from inrv_jax.state import TrainState
    from inrv_jax.train.step import make_train_step

    from helpers import blob_videos, tiny_settings

    t, h, w = 4, 8, 8
    c = tiny_settings(**{"model.conditioning.kind": cond, "train.sample_frac": 0.5,
                         "loss.distance": "l1", "data.size": (h, w)})  # fmt: skip
    model = make_model(c.model, 4)
    params = model.init(jax.random.key(0))
    tx = optax.sgd(1.0)  # new params = params - grads
    step = jax.jit(make_train_step(model, tx, c))
    videos = jnp.asarray(blob_videos(2, t, h, w))
    batch = {"index": jnp.array([1, 3], jnp.int32), "video": videos}
    coords, key = jnp.asarray(make_grid(t, h, w)), jax.random.key(7)
    state = TrainState.create(params, tx)
    new, metrics = step(state, batch, coords, key)

    k_idx, k_model = jax.random.split(jax.random.fold_in(key, 0))
    k_noise, k_drop = jax.random.split(k_model)
    idx = sample_indices(k_idx, t * h * w, t * h * w // 2)

    def loss(p):
        z, kl = model.latents(p, batch["index"], train=True,
                              rngs={"noise": k_noise, "dropout": k_drop})  # fmt: skip
        pred = render_batch(model.hyper(p, z), coords[idx], model.inr_spec)
        target = videos.reshape(2, -1, 3)[:, idx]
        out = pixel_distance(pred, target, "l1").mean()
        return out + (c.model.conditioning.kl_weight * kl.mean() if cond == "kl" else 0.0)

    ref_loss, ref_grad = jax.value_and_grad(loss)(params)
    np.testing.assert_allclose(metrics["train/loss"], ref_loss, rtol=1e-5)
    got = jax.tree.map(lambda a, b: a - b, params, new.params)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(ref_grad), strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-3, atol=1e-6)


def test_remat_render_has_the_gradient_of_the_plain_render():
    """The LPIPS path's rematerialised chunks (a padded last chunk included) change memory,
    not the step: loss and updated parameters equal those of the unchunked render."""
    import types

    import optax

    from inrv_jax.model import make_model
    from inrv_jax.state import TrainState
    from inrv_jax.train.step import make_train_step

    from helpers import blob_videos, tiny_settings

    t, h, w = 4, 8, 8  # 256 coordinates: chunks of 100 leave a padded last chunk
    # A stand-in for LPIPS with the same interface: per-frame mean absolute difference.
    fake_lpips = types.SimpleNamespace(
        params=None, apply=lambda _, x, y: jnp.abs(x - y).mean(axis=(1, 2, 3))
    )
    videos = jnp.asarray(blob_videos(2, t, h, w))
    batch = {"index": jnp.array([0, 2], jnp.int32), "video": videos}
    coords, key = jnp.asarray(make_grid(t, h, w)), jax.random.key(3)
    out = {}
    for remat in (False, True):
        c = tiny_settings(**{"loss.lpips_weight": 0.5, "train.remat": remat,
                             "train.render_chunk": 100, "data.size": (h, w)})  # fmt: skip
        model = make_model(c.model, 4)
        params = model.init(jax.random.key(0))
        tx = optax.sgd(1.0)
        step = jax.jit(make_train_step(model, tx, c, fake_lpips))
        out[remat] = step(TrainState.create(params, tx), batch, coords, key)
    (plain, m_plain), (remat, m_remat) = out[False], out[True]
    np.testing.assert_allclose(m_remat["train/loss"], m_plain["train/loss"], rtol=1e-6)
    assert float(m_plain["train/lpips"]) > 0
    for a, b in zip(jax.tree.leaves(remat.params), jax.tree.leaves(plain.params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["relu_pe", "siren"])
@pytest.mark.parametrize("batch", [1, 3])
def test_render_batch_equals_vmap_of_inr_apply(kind, batch):
    from inrv_jax.inr import inr_apply, render_coords

    spec = INRSpec(kind=kind, hidden=16, depth=3, num_freqs=4)
    params = jax.vmap(lambda k: inr_init(k, spec))(jax.random.split(jax.random.key(2), batch))
    coords = jnp.asarray(make_grid(2, 5, 7))
    ref = jax.vmap(jax.vmap(lambda p, c: inr_apply(p, c, spec), (None, 0)), (0, None))
    np.testing.assert_allclose(
        render_batch(params, coords, spec), ref(params, coords), rtol=1e-5, atol=1e-5
    )
    one = jax.tree.map(lambda x: x[0], params)
    np.testing.assert_allclose(
        render_coords(one, coords, spec), ref(params, coords)[0], rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("supersample", [1, 3])
def test_off_grid_step_has_the_gradient_of_the_written_loss(supersample):
    """``train.coord_jitter`` moves every coordinate inside its pixel's box and
    ``train.supersample`` averages K such points per pixel before the loss: the step's update is
    jax.grad of exactly that loss, with the step's own draws."""
    import optax

    from inrv_jax.coords import sample_indices
    from inrv_jax.encoding import grid_footprint
    from inrv_jax.model import make_model
    from inrv_jax.state import TrainState
    from inrv_jax.train.step import make_train_step

    from helpers import blob_videos, tiny_settings

    t, h, w = 4, 8, 8
    jitter = (1.0, 0.5, 1.0)
    c = tiny_settings(**{
        "model.inr.encoding": "bandlimited", "model.inr.grid": (t, h, w), "data.size": (h, w),
        "train.sample_frac": 0.5, "train.coord_jitter": jitter,
        "train.supersample": supersample,
    })  # fmt: skip
    model = make_model(c.model, 4)
    params = model.init(jax.random.key(0))
    tx = optax.sgd(1.0)
    step = jax.jit(make_train_step(model, tx, c))
    videos = jnp.asarray(blob_videos(2, t, h, w))
    batch = {"index": jnp.array([0, 2], jnp.int32), "video": videos}
    coords, key = jnp.asarray(make_grid(t, h, w)), jax.random.key(5)
    new, metrics = step(TrainState.create(params, tx), batch, coords, key)

    k_idx, k_model = jax.random.split(jax.random.fold_in(key, 0))
    idx = sample_indices(k_idx, t * h * w, t * h * w // 2)
    u = jax.random.uniform(jax.random.fold_in(k_idx, 2), (t * h * w, supersample, 3))
    box = jnp.asarray(jitter) * grid_footprint((t, h, w))
    points = (coords[:, None] + (u - 0.5) * box)[idx]  # [n, K, 3]
    assert float(jnp.abs(points - coords[idx][:, None]).max()) <= float(box.max()) / 2 + 1e-6

    def loss(p):
        z, _ = model.latents(p, batch["index"], train=True)
        pred = render_batch(model.hyper(p, z), points.reshape(-1, 3), model.inr_spec)
        pred = pred.reshape(2, idx.shape[0], supersample, 3).mean(axis=2)
        return jnp.square(pred - videos.reshape(2, -1, 3)[:, idx]).mean()

    ref_loss, ref_grad = jax.value_and_grad(loss)(params)
    np.testing.assert_allclose(metrics["train/loss"], ref_loss, rtol=1e-5)
    got = jax.tree.map(lambda a, b: a - b, params, new.params)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(ref_grad), strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-3, atol=1e-6)
