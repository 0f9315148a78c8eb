"""``inrv generate``: novel videos from the latent space, with ``inrv_jax.tasks.generate``."""

from __future__ import annotations

import argparse
import pathlib

from inrv_jax.commands.arguments import (
    GENERATION_MODES,
    PRIOR_MODES,
    add_checkpoint_arguments,
    add_shape_arguments,
    generation_mode,
)
from inrv_jax.data.parsing import parse_ints

# Named when generation does not fit in memory (inrv_jax.cli).
MEMORY_KNOBS = ("a smaller --size", "a smaller --scale", "fewer --frames", "fewer --num")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_checkpoint_arguments(p)
    p.add_argument(
        "--mode",
        default="random-interpolated",
        type=generation_mode,
        metavar="MODE",
        help=f"{' | '.join(GENERATION_MODES + PRIOR_MODES)} (default random-interpolated; "
        "prior modes sample a prior fitted by `inrv fit-prior`)",
    )
    p.add_argument("--num", type=int, default=16)
    add_shape_arguments(p, npy=False)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fps", type=int, default=8)
    p.add_argument("--out", required=True, help="output directory")


def run(args) -> int:
    import numpy as np

    from inrv_jax.checkpoint import load_trained
    from inrv_jax.tasks.generate import generate, write_outputs
    from inrv_jax.tasks.render import picture_shape, scale_note

    tm = load_trained(args.workdir, args.step)
    size = parse_ints(args.size, 2, "--size")
    shape, scale = picture_shape(tm, args.frames, size, args.scale)
    z, videos = generate(tm, args.mode, args.num, shape, args.seed, workdir=args.workdir)
    out = pathlib.Path(args.out)
    write_outputs(out, videos, args.fps, scale=scale)
    np.save(out / "latents.npy", z)
    print(f"wrote {args.num} {args.mode} samples ({scale_note(shape, scale)}) to {out}")
    return 0
