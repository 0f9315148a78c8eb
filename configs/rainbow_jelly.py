"""RainbowJelly: ~34k clips cut from one long video; point data.spec at the list file."""

from inrv_jax.config import base_config, small_variant


def get_config(variant=None):
    c = base_config()
    c.data.spec = "data/rainbow_jelly.txt"
    c.model.conditioning.kind = "encoder"
    c.train.batch_size = 2
    c.train.steps = 300_000
    if variant == "small":
        # CPU smoke-test size of this recipe, on bundled data so it runs anywhere.
        small_variant(c, spec="sample_clips")
    elif variant is not None:
        raise ValueError(f"configs/rainbow_jelly.py has the variant 'small'; got {variant!r}")
    return c
