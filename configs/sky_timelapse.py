"""SkyTimelapse (FVD16 benchmark): point data.spec at the list file or folder of clips."""

from inrv_jax.config import base_config, small_variant


def get_config(variant=None):
    c = base_config()
    c.data.spec = "data/sky_timelapse.txt"
    c.model.conditioning.kind = "encoder"
    c.train.batch_size = 2
    c.train.steps = 300_000
    if variant == "small":
        # CPU smoke-test size of this recipe, on bundled data so it runs anywhere.
        small_variant(c, spec="sample_clips")
    elif variant is not None:
        raise ValueError(f"configs/sky_timelapse.py has the variant 'small'; got {variant!r}")
    return c
