"""The video encoder: shapes at any clip size, unobserved pixels cannot move its output, the
observations scattered back onto the grid, storage round trip and the missing-encoder error."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from inrv_jax.encoder import (
    Encoder,
    default_config,
    load_encoder,
    make_encoder,
    save_encoder,
    sizes_of,
)
from inrv_jax.errors import InputError
from inrv_jax.tasks.inversion import observed_grid
from inrv_jax.tasks.invert import prepare

from helpers import blob_videos


def _encoder(dim=8, seed=0):
    """An encoder with random (non-zero) output weights, so its output depends on its input."""
    module = make_encoder(default_config(), dim)
    params = module.init(
        jax.random.key(seed), jnp.zeros((1, 4, 16, 16, 3)), jnp.ones((1, 4, 16, 16))
    )
    params = jax.tree.map(
        lambda a: jax.random.normal(jax.random.key(seed + 1), a.shape) * 0.1, params["params"]
    )
    arrays = {"params": params, "opt_state": {}, "latent_mean": jnp.full((dim,), 0.5),
              "latent_std": jnp.full((dim,), 2.0)}  # fmt: skip
    meta = {"config": sizes_of(default_config()), "latent_dim": dim, "video_shape": [4, 16, 16],
            "model_step": 7, "steps": 0}  # fmt: skip
    return Encoder(module, arrays, meta)


@pytest.mark.parametrize("shape", [(4, 16, 16), (3, 8, 12), (9, 20, 6)])
def test_output_shape_at_any_clip_size(shape):
    enc = _encoder()
    videos = blob_videos(3, *shape)
    z = enc.encode(videos, np.ones((3, *shape)))
    assert z.shape == (3, 8) and np.isfinite(z).all()
    assert np.abs(z - 0.5).max() > 1e-3  # random weights: not the mean latent


def test_untrained_encoder_predicts_the_mean_latent():
    module = make_encoder(default_config(), 5)
    params = module.init(jax.random.key(0), jnp.zeros((1, 4, 16, 16, 3)), jnp.ones((1, 4, 16, 16)))
    mean = np.arange(5, dtype=np.float32)
    enc = Encoder(module, {"params": params["params"], "latent_mean": mean,
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
