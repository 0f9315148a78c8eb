"""UCF101 from the TFDS catalog (needs the TensorFlow extra and the prepared dataset)."""

from inrv_jax.config import base_config, small_variant


def get_config(variant=None):
    c = base_config()
    c.data.spec = "tfds:ucf101/train"
    c.data.frames = 16
    c.data.size = (64, 64)
    c.train.batch_size = 4
    c.train.steps = 300_000
    if variant == "small":
        # CPU smoke-test size of this recipe, on bundled data so it runs anywhere.
        small_variant(c, spec="sample_clips")
    elif variant is not None:
        raise ValueError(f"configs/ucf101.py has the variant 'small'; got {variant!r}")
    return c
