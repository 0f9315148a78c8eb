"""Arguments of ``inrv generate`` (run by ``inrv_jax.tasks.generate.run``)."""

from __future__ import annotations

import argparse

from inrv_jax.tasks.cli.arguments import (
    GENERATION_MODES,
    PRIOR_MODES,
    add_checkpoint_arguments,
    add_shape_arguments,
    generation_mode,
)

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
