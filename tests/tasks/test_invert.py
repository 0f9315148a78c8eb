"""Vectorized inversion: recovery of known latents, batch == loop, sharding, masked tasks see
only observed pixels, inits."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from inrv_jax import masks
from inrv_jax.metrics.image import psnr
from inrv_jax.rendering import FromLatents, render
from inrv_jax.tasks import inversion
from inrv_jax.tasks.invert import prepare, run_task

MASKED_TASKS = ("inpainting", "prediction", "frame-interpolation", "temporal", "sparse", "box")


def _videos_from_latents(trained, num, seed=0):
    """Videos rendered from random latents near the learned ones: f32[num, D], f32[num, ...]."""
    rng = np.random.default_rng(seed)
    lat = trained.latents
    z = (lat.mean(0) + lat.std(0) * rng.standard_normal((num, lat.shape[1]))).astype(np.float32)
    return z, render(FromLatents(trained.model, trained.params, z), trained.video_shape)


@pytest.mark.parametrize("batch", [1, 16])
def test_recovers_video_of_known_latent(trained, batch):
    _, videos = _videos_from_latents(trained, batch, seed=batch)
    obs = inversion.observe(videos, np.ones(trained.video_shape, np.float32))
    res = inversion.invert(trained.model, trained.params, obs, learned=trained.latents, steps=200)
    assert res.latents.shape == (batch, trained.latents.shape[1])
    assert res.losses.shape == (200, batch)
    assert (res.losses[-1] < res.losses[0]).all()
    recon = render(FromLatents(trained.model, trained.params, res.latents), trained.video_shape)
    p = np.asarray(psnr(jnp.asarray(recon), jnp.asarray(videos)))
    assert p.min() >= 35.0, p


def test_batch_equals_loop_over_single_videos(trained):
    _, videos = _videos_from_latents(trained, 5, seed=7)
    weights = np.stack(
        [np.random.default_rng(i).random(trained.video_shape) > 0.5 for i in range(5)]
    )
    obs = inversion.observe(videos, weights.astype(np.float32))  # per-video coordinates
    kw = dict(learned=trained.latents, steps=40, init="normal", seed=1)
    z0 = inversion.initial_latents("normal", 5, trained.latents, seed=1)
    together = inversion.invert(trained.model, trained.params, obs, batch=4, **kw)  # 4 + padded 1
    for i in range(5):
        one = inversion.invert(
            trained.model, trained.params, obs.slice(i, i + 1), z0=z0[i : i + 1], **kw
        )
        np.testing.assert_allclose(together.latents[i], one.latents[0], atol=2e-5)
        np.testing.assert_allclose(together.losses[:, i], one.losses[:, 0], rtol=1e-4, atol=1e-7)


def test_sharded_over_data_axis_equals_one_device(trained):
    assert len(jax.devices()) == 8
    _, videos = _videos_from_latents(trained, 16, seed=2)
    obs = inversion.observe(videos, np.ones(trained.video_shape, np.float32))
    kw = dict(learned=trained.latents, steps=30)
    sharded = inversion.invert(trained.model, trained.params, obs, **kw)
    assert inversion.data_mesh(16).shape["data"] == 8
    single = inversion.invert(trained.model, trained.params, obs, devices=jax.devices()[:1], **kw)
    np.testing.assert_allclose(sharded.latents, single.latents, atol=2e-5)


@pytest.mark.parametrize("task", MASKED_TASKS)
def test_unobserved_pixels_change_nothing(trained, task):
    _, videos = _videos_from_latents(trained, 2, seed=3)
    kw = {"future_frames": 2} if task == "prediction" else {}  # the tiny clips have 4 frames
    prep = prepare(videos, task, **kw)
    corrupted = np.where(prep.unobserved[..., None], np.nan, videos)
    corrupted[..., 0] = np.where(prep.unobserved, 123.0, corrupted[..., 0])
    a = run_task(trained, videos, task, steps=15, **kw)
    b = run_task(trained, corrupted, task, steps=15, **kw)
    np.testing.assert_array_equal(a.latents, b.latents)
    assert np.isfinite(a.summary["psnr_unobserved"])


def test_user_mask_and_super_resolution(trained):
    _, videos = _videos_from_latents(trained, 2, seed=4)
    t, h, w = trained.video_shape
    mask = np.zeros((t, h, w), np.float32)
    mask[:, :, : w // 2] = 1
    res = run_task(trained, videos, "mask", mask=mask, steps=15)
    assert res.prepared.unobserved[:, :, :, w // 2 :].all()
    sr = run_task(trained, videos, "super-resolution", steps=60, low_size=(h // 2, w // 2))
    assert sr.prepared.obs.coords.shape == (t * h // 2 * w // 2, 3)
    assert sr.recon.shape == videos.shape
    assert sr.summary["psnr"] > 25.0


def test_a_registered_task_runs_without_changes_elsewhere(trained, monkeypatch):
    def left_half(shape, opts):
        m = np.zeros(shape, np.float32)
        m[..., : shape[2] // 2] = 1
        return m

    def quarter(size, opts):
        return size[0] // 4, size[1] // 4

    everything = masks.TASKS["all"].mask
    for task in (
        masks.Task("left-half", "left half observed", left_half),
        masks.Task("quarter-res", "¼ size", everything, unobserved="every", observed_size=quarter),
    ):
        monkeypatch.setitem(masks.TASKS, task.name, task)
    _, videos = _videos_from_latents(trained, 2, seed=5)
    t, h, w = trained.video_shape
    res = run_task(trained, videos, "left-half", steps=5)
    assert res.prepared.unobserved[..., w // 2 :].all()
    assert not res.prepared.unobserved[..., : w // 2].any()
    assert np.isfinite(res.summary["psnr_unobserved"])
    low = prepare(videos, "quarter-res")
    assert low.obs.coords.shape == (t * (h // 4) * (w // 4), 3)
    assert low.observed_view.shape == videos.shape and low.unobserved.all()


def test_nearest_init_finds_the_rendered_training_video(trained):
    j = 2
    video = render(
        FromLatents(trained.model, trained.params, trained.latents[j : j + 1]), trained.video_shape
    )
    obs = inversion.observe(video, np.ones(trained.video_shape, np.float32))
    z = inversion.nearest_latents(trained.model, trained.params, trained.latents, obs, chunk=3)
    np.testing.assert_array_equal(z[0], trained.latents[j])


def test_initialisations(trained):
    lat = trained.latents
    assert not inversion.initial_latents("zeros", 3, lat).any()
    np.testing.assert_allclose(inversion.initial_latents("mean", 3, lat)[1], lat.mean(0))
    assert 0.005 < inversion.initial_latents("normal", 64, lat).std() < 0.015
    with pytest.raises(ValueError, match="unknown inversion init"):
        inversion.initial_latents("best", 3, lat)
