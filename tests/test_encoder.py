"""The video encoder: shapes at any clip size, unobserved pixels cannot move its output, the
observations scattered back onto the grid, storage round trip (an encoder stored before the
``EncoderSpec`` included), the missing-encoder error and the one encoder loss."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from inrv_jax.encoder import (
    Encoder,
    EncoderLoss,
    EncoderSpec,
    default_config,
    encoder_dir,
    load_encoder,
    save_encoder,
    sizes_of,
)
from inrv_jax.errors import InputError
from inrv_jax.tasks.inversion import observed_grid
from inrv_jax.tasks.invert import prepare

from helpers import blob_videos


def _encoder(dim=8, seed=0):
    """An encoder with random (non-zero) output weights, so its output depends on its input."""
    spec = EncoderSpec.of(default_config(), dim)
    params = spec.build().init(
        jax.random.key(seed), jnp.zeros((1, 4, 16, 16, 3)), jnp.ones((1, 4, 16, 16))
    )
    params = jax.tree.map(
        lambda a: jax.random.normal(jax.random.key(seed + 1), a.shape) * 0.1, params["params"]
    )
    arrays = {"params": params, "opt_state": {}, "latent_mean": jnp.full((dim,), 0.5),
              "latent_std": jnp.full((dim,), 2.0)}  # fmt: skip
    meta = {"spec": spec.to_meta(), "training": ["posthoc"], "video_shape": [4, 16, 16],
            "model_step": 7, "steps": 0}  # fmt: skip
    return Encoder(spec, arrays, meta)


@pytest.mark.parametrize("shape", [(4, 16, 16), (3, 8, 12), (9, 20, 6)])
def test_output_shape_at_any_clip_size(shape):
    enc = _encoder()
    videos = blob_videos(3, *shape)
    z = enc.encode(videos, np.ones((3, *shape)))
    assert z.shape == (3, 8) and np.isfinite(z).all()
    assert np.abs(z - 0.5).max() > 1e-3  # random weights: not the mean latent


def test_untrained_encoder_predicts_the_mean_latent():
    spec = EncoderSpec.of(default_config(), 5)
    params = spec.build().init(
        jax.random.key(0), jnp.zeros((1, 4, 16, 16, 3)), jnp.ones((1, 4, 16, 16))
    )
    mean = np.arange(5, dtype=np.float32)
    enc = Encoder(spec, {"params": params["params"], "latent_mean": mean,
                           "latent_std": np.ones(5, np.float32)}, {})  # fmt: skip
    z = enc.encode(blob_videos(2, 4, 16, 16), np.ones((2, 4, 16, 16)))
    np.testing.assert_array_equal(z, np.broadcast_to(mean, (2, 5)))


def test_unobserved_pixels_cannot_change_the_output():
    enc = _encoder()
    videos = blob_videos(2, 4, 16, 16, seed=1)
    mask = np.zeros((2, 4, 16, 16), np.float32)
    mask[:, :, :8] = 1  # top half observed
    z = enc.encode(videos, mask)
    other = videos.copy()
    other[:, :, 8:] = np.random.default_rng(0).uniform(-1, 1, other[:, :, 8:].shape)
    other[0, 0, 12, 3] = np.nan
    np.testing.assert_array_equal(enc.encode(other, mask), z)
    seen = videos.copy()
    seen[:, :, 2] = -videos[:, :, 2]  # an observed row changes: so does the latent
    assert np.abs(enc.encode(seen, mask) - z).max() > 1e-4


@pytest.mark.parametrize("task", ["inpainting", "sparse", "prediction"])
def test_observed_grid_is_what_the_task_observed(task):
    videos = blob_videos(3, 5, 8, 6, seed=2)
    prepared = prepare(videos, task, seed=4, future_frames=2)
    grid, masks = observed_grid(prepared.obs, (5, 8, 6))
    np.testing.assert_array_equal(masks, (prepared.weights > 0).astype(np.float32))
    np.testing.assert_array_equal(grid, prepared.observed)


def test_storage_round_trip_and_missing_encoder(tmp_path):
    with pytest.raises(InputError, match=r"`inrv train-encoder --workdir .*`"):
        load_encoder(tmp_path)
    enc = _encoder()
    save_encoder(tmp_path, enc)
    back = load_encoder(tmp_path, step=7, dim=8)
    videos = blob_videos(2, 4, 16, 16)
    masks = np.ones((2, 4, 16, 16))
    np.testing.assert_allclose(back.encode(videos, masks), enc.encode(videos, masks), rtol=1e-6)
    with pytest.warns(UserWarning, match="trained against the model of step 7"):
        load_encoder(tmp_path, step=8)
    with pytest.raises(InputError, match="latents of size 8, the model has 6"):
        load_encoder(tmp_path, dim=6)


def test_an_encoder_stored_before_the_spec_still_loads(tmp_path):
    # f5b54ad and earlier wrote meta.json with "config" (the sizes) and "latent_dim" at the top.
    enc = _encoder()
    path = save_encoder(tmp_path, enc)
    old = {"config": sizes_of(default_config()), "latent_dim": 8, "video_shape": [4, 16, 16],
           "model_step": 7, "steps": 0, "records": []}  # fmt: skip
    (path / "meta.json").write_text(json.dumps(old))
    back = load_encoder(tmp_path, step=7, dim=8)
    assert back.spec == enc.spec and back.meta["training"] == ["posthoc"]
    videos, masks = blob_videos(2, 4, 16, 16), np.ones((2, 4, 16, 16))
    np.testing.assert_allclose(back.encode(videos, masks), enc.encode(videos, masks), rtol=1e-6)
    assert encoder_dir(tmp_path) == path


def test_the_encoder_loss_is_the_written_formula():
    loss = EncoderLoss(render_weight=0.6, consistency=0.3, distance="l1")
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 3))
    z, z_t, std = rng.normal(size=(2, 4)), rng.normal(size=(2, 4)), np.array([1.0, 2.0, 0.5, 4.0])
    render = loss.render_term(jnp.asarray(pred), jnp.asarray(target))
    cons = loss.consistency_term(jnp.asarray(z), jnp.asarray(z_t), jnp.asarray(std))
    np.testing.assert_allclose(render, np.abs(pred - target).mean(), rtol=1e-6)
    np.testing.assert_allclose(cons, np.mean(((z - z_t) / std) ** 2), rtol=1e-6)
    np.testing.assert_allclose(loss.total(render, cons), 0.6 * render + 0.3 * cons, rtol=1e-6)
    grad = jax.grad(lambda t: loss.consistency_term(jnp.asarray(z), t, 1.0))(jnp.asarray(z_t))
    assert not np.asarray(grad).any()  # the target latent gets no gradient
