"""Moving-MNIST-style digits rendered from a digit set shipped in a package (no download)."""

from inrv_jax.config import base_config, small_variant


def get_config(variant=None):
    c = base_config()
    c.data.spec = "moving_digits"
    c.data.frames = 10
    c.data.size = (64, 64)
    c.data.num_videos = 256
    c.loss.distance = "l2"  # the official Moving MNIST runs use a (weighted) L2
    c.loss.lpips_weight = 0.0
    c.train.batch_size = 8
    c.train.steps = 20000
    if variant == "small":
        # CPU smoke-test size of this recipe, on bundled data so it runs anywhere.
        small_variant(c, spec="moving_digits")
    elif variant is not None:
        raise ValueError(f"configs/moving_digits.py has the variant 'small'; got {variant!r}")
    return c
