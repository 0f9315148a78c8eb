"""Bouncing shapes (built-in, no download): the default, trains on 2 CPU cores in minutes.

A fast recipe (see README "Recipes"): a narrower INR/hypernetwork than the official one, the
band-limited coordinate encoding (continuous between pixels and frames), Adam 3e-3 with cosine
decay, L2 on an eighth of the pixels per step, 1,400 steps. ``:official`` keeps the data and
uses the faithful official recipe (official encoding and architecture, L1 + 0.7 LPIPS, Adam 1e-4).
"""

from inrv_jax.config import base_config, fast_recipe, small_variant


def get_config(variant=None):
    c = base_config()
    c.data.spec = "shapes"
    c.data.frames = 8
    c.data.size = (32, 32)
    c.data.num_videos = 8
    fast_recipe(c)
    # Band-limited encodings fit slower per step; many cheap steps on an eighth of the pixels at
    # a higher rate fit faster at equal seconds (benchmarks/continuity.py sweep, docs/continuity).
    c.optim.lr = 3e-3
    c.train.sample_frac = 0.125
    c.train.steps = 1400
    c.train.log_every = 50
    c.train.eval_every = 700
    c.train.checkpoint_every = 700
    c.train.eval_videos = 8
    if variant == "small":
        small_variant(c)
    elif variant == "official":
        official = base_config()
        c.model, c.loss, c.optim = official.model, official.loss, official.optim
        c.train.batch_size = 2
        c.train.sample_frac = 1.0
        c.train.steps = 600
        c.train.eval_every = c.train.checkpoint_every = 200
    elif variant is not None:
        raise ValueError(f"configs/shapes.py has variants small, official; got {variant!r}")
    return c
