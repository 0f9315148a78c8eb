"""How2Sign-Faces (paper's main benchmark): point data.spec at your list file of clips.

Official recipe: 25 frames at 100×100, official architecture, L1 + 0.7 LPIPS, Adam 1e-4,
conditional regularizer (paper: CLIP ViT-B/32 features; offline default here: VGG16,
or precomputed CLIP features via data.features_path), latent 128 (> 2,000 videos)."""

from inrv_jax.config import base_config, small_variant


def get_config(variant=None):
    c = base_config()
    c.data.spec = "data/how2sign_faces.txt"  # official list-file format: one video per line
    c.model.conditioning.kind = "encoder"
    c.train.batch_size = 2
    c.train.steps = 300_000
    if variant == "small":
        # CPU smoke-test size of this recipe, on bundled data so it runs anywhere.
        small_variant(c, spec="sample_clips")
    elif variant is not None:
        raise ValueError(f"configs/how2sign_faces.py has the variant 'small'; got {variant!r}")
    return c
