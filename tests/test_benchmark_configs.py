"""The settings the benchmark scripts build from the project's configs still make a model: a
config change that breaks a benchmark (time_to_quality's fast recipe lost its encoding grid once)
fails here, not in a 6-minute run."""

import jax
import numpy as np

from benchmarks import common, time_to_quality
from inrv_jax.model import make_model
from inrv_jax.rendering import FromLatents, render
from inrv_jax.settings import Settings


def test_time_to_quality_fast_recipe_makes_a_model():
    videos = np.zeros((2, 4, 8, 8, 3), np.float32)
    settings = time_to_quality.fast_settings(videos, max_steps=100)
    assert isinstance(settings, Settings)
    assert settings.model.inr.grid == (4, 8, 8) and settings.video_shape == (4, 8, 8)
    model = make_model(settings.model, 2)
    params = model.init(jax.random.key(0))
    z = np.asarray(model.latents(params, np.arange(1))[0])
    assert render(FromLatents(model, params, z), (4, 8, 8)).shape == (1, 4, 8, 8, 3)


def test_official_settings_of_bench_train_makes_a_model():
    settings = common.official_settings(batch=2, video_shape=(2, 4, 4))
    assert settings.video_shape == (2, 4, 4) and settings.train.batch_size == 2
    assert settings.loss.lpips_weight == 0.0 and settings.loss.distance == "l1"
    model = make_model(settings.model, 2)
    params = model.init(jax.random.key(0))
    z = np.asarray(model.latents(params, np.arange(1))[0])
    assert z.shape == (1, 128)  # the official architecture's latent
    out = render(FromLatents(model, params, z), (2, 4, 4))
    assert out.shape == (1, 2, 4, 4, 3) and np.isfinite(out).all()


def test_build_jax_step_runs_the_trainers_step():
    """``common.build_jax_step`` (``train.step.build_step`` on one device) trains: the step
    runs, the loss is finite and the state's step counts."""
    settings = common.official_settings(batch=2, video_shape=(2, 4, 4),
                                        changes={"model.inr.hidden": 16, "model.hypernet.hidden": 16,
                                                 "model.latent_dim": "8"})  # fmt: skip
    step, state, batch, coords, key = common.build_jax_step(settings, 2)
    assert batch["video"].shape == (2, 2, 4, 4, 3) and coords.shape == (2 * 4 * 4, 3)
    state, metrics = step(state, batch, coords, key)
    assert int(state.step) == 1 and np.isfinite(float(metrics["train/loss"]))
