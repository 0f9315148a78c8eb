"""Moving MNIST from the TFDS catalog (needs the TensorFlow extra to prepare: pip install 'inrv_jax[tf]')."""

from inrv_jax.config import base_config, small_variant


def get_config(variant=None):
    c = base_config()
    c.data.spec = "tfds:moving_mnist/test"
    c.data.frames = 20
    c.data.size = (64, 64)
    c.loss.distance = "l2"
    c.loss.lpips_weight = 0.0
    c.train.batch_size = 8
    c.train.steps = 50_000
    if variant == "small":
        # CPU smoke-test size of this recipe, on bundled data so it runs anywhere.
        small_variant(c, spec="moving_digits")
    elif variant is not None:
        raise ValueError(f"configs/moving_mnist.py has the variant 'small'; got {variant!r}")
    return c
