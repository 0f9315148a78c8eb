"""Arguments of ``inrv render`` (run by ``inrv_jax.tasks.render.run``)."""

from __future__ import annotations

import argparse

from inrv_jax.tasks.cli.arguments import add_checkpoint_arguments, add_shape_arguments

# Named when a render does not fit in memory (inrv_jax.cli).
MEMORY_KNOBS = ("a smaller --size", "a smaller --scale", "fewer --frames")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_checkpoint_arguments(p)
    p.add_argument("--index", type=int, default=None, help="training video (its learned latent)")
    p.add_argument("--latent", default=None, help="a latent .npy (f32[D])")
    add_shape_arguments(p)
    p.add_argument("--fps", type=int, default=8)
    p.add_argument("--out", required=True, help="OUT.npy | .mp4 | .gif | .png")
