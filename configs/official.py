"""The faithful official INR-V recipe (DESIGN §2) on any data: ``--config.data.spec=...``.

Official architecture (INR 63→256×4→3, per-tensor hypernetwork heads 256×4), per-pixel L1 +
0.7 LPIPS(VGG) per frame, Adam 1e-4 constant, batch 2, 25 frames at 100×100, all pixels,
conditional regularizer on. The default data is the built-in ``sample_clips``.
"""

from inrv_jax.config import base_config, small_variant


def get_config(variant=None):
    c = base_config()
    c.data.spec = "sample_clips"
    c.model.conditioning.kind = "encoder"
    c.train.batch_size = 2
    c.train.steps = 300_000
    if variant == "small":
        small_variant(c)
    elif variant is not None:
        raise ValueError(f"configs/official.py has the variant 'small'; got {variant!r}")
    return c
