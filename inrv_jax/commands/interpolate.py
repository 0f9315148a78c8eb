"""``inrv interpolate``: a grid of latent-space interpolations, with ``inrv_jax.tasks.interpolate``."""

from __future__ import annotations

import argparse
import pathlib

from inrv_jax.commands.arguments import (
    INTERPOLATION_METHODS,
    add_checkpoint_arguments,
    add_shape_arguments,
)
from inrv_jax.data.parsing import parse_ints
from inrv_jax.errors import InputError

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


def run(args) -> int:
    from inrv_jax.checkpoint import load_trained
    from inrv_jax.tasks.interpolate import GRID_SUFFIXES, interpolate, resolve_endpoints, save_grid
    from inrv_jax.tasks.render import output_shape, scale_note

    if len(args.a) != len(args.b):
        raise InputError(f"give one --b per --a (got {len(args.a)} --a and {len(args.b)} --b)")
    if pathlib.Path(args.out).suffix.lower() not in GRID_SUFFIXES:  # before any work
        raise InputError(f"--out {args.out} must end in {', '.join(GRID_SUFFIXES)}")
    tm = load_trained(args.workdir, args.step)
    size = parse_ints(args.size, 2, "--size")
    shape, scale = output_shape(tm, args.out, args.frames, size, args.scale)
    z = resolve_endpoints(tm, [*args.a, *args.b], invert_steps=args.invert_steps, seed=args.seed)
    za, zb = z[: len(args.a)], z[len(args.a) :]
    _, videos = interpolate(tm, za, zb, args.steps, args.method, shape)
    note = scale_note(shape, scale)
    title = f"rows: pairs; columns: {args.steps} {args.method} steps; rendered {note}"
    written = save_grid(args.out, videos, args.fps, title)
    paths = ", ".join(map(str, written))
    print(f"{len(za)} pair(s) × {args.steps} steps ({args.method}, {note}) -> {paths}")
    return 0
