"""The configs the benchmark scripts build from the project's configs still make a model: a
config change that breaks a benchmark (time_to_quality's fast recipe lost its encoding grid once)
fails here, not in a 6-minute run."""

import jax
import numpy as np

from benchmarks import common, time_to_quality
from inrv_jax.model import make_model


def test_time_to_quality_fast_recipe_makes_a_model():
    videos = np.zeros((2, 4, 8, 8, 3), np.float32)
    config = time_to_quality.fast_config(videos, max_steps=10)
    assert tuple(config.model.inr.grid) == (4, 8, 8)
    model = make_model(config.model, 2)
    params = model.init(jax.random.key(0))
    z = np.asarray(model.latents(params, np.arange(1))[0])
    assert np.asarray(model.render_videos(params, z, (4, 8, 8))).shape == (1, 4, 8, 8, 3)


def test_official_config_of_bench_train_makes_a_model():
    config = common.official_config(batch=2)
    model = make_model(config.model, 2)
    params = model.init(jax.random.key(0))
    z = np.asarray(model.latents(params, np.arange(1))[0])
    assert z.shape == (1, 128)  # the official architecture's latent
    out = np.asarray(model.render_videos(params, z, (2, 4, 4)))
    assert out.shape == (1, 2, 4, 4, 3) and np.isfinite(out).all()
