"""Arguments of ``inrv interpolate`` (run by ``inrv_jax.tasks.interpolate.run``)."""

from __future__ import annotations

import argparse

from inrv_jax.tasks.cli.arguments import (
    INTERPOLATION_METHODS,
    add_checkpoint_arguments,
    add_shape_arguments,
)

# Named when an interpolation grid does not fit in memory (inrv_jax.cli).
MEMORY_KNOBS = ("a smaller --size", "a smaller --scale", "fewer --frames", "fewer --steps")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_checkpoint_arguments(p)
    p.add_argument("--a", action="append", required=True, help="start: index, path or video")
    p.add_argument("--b", action="append", required=True, help="end (one --b per --a)")
    p.add_argument("--steps", type=int, default=8, help="K columns, endpoints included")
    p.add_argument("--method", default="slerp", choices=INTERPOLATION_METHODS)
    add_shape_arguments(p)
    p.add_argument("--invert-steps", type=int, default=300, help="for external videos")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fps", type=int, default=8)
    p.add_argument("--out", required=True, help="FILE.gif | .mp4 | .png | .npy")
