"""``inrv render``: a training video or a latent at any (T, H, W), with ``inrv_jax.tasks.render``."""

from __future__ import annotations

import argparse
import pathlib

from inrv_jax.commands.arguments import add_checkpoint_arguments, add_shape_arguments
from inrv_jax.data.parsing import parse_ints
from inrv_jax.errors import InputError

# Named when a render does not fit in memory (inrv_jax.cli).
MEMORY_KNOBS = ("a smaller --size", "a smaller --scale", "fewer --frames")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_checkpoint_arguments(p)
    p.add_argument("--index", type=int, default=None, help="training video (its learned latent)")
    p.add_argument("--latent", default=None, help="a latent .npy (f32[D])")
    add_shape_arguments(p)
    p.add_argument("--fps", type=int, default=8)
    p.add_argument("--out", required=True, help="OUT.npy | .mp4 | .gif | .png")


def run(args) -> int:
    from inrv_jax.checkpoint import load_trained
    from inrv_jax.rendering import FromLatents, render
    from inrv_jax.tasks.render import latent_of, output_shape, scale_note
    from inrv_jax.video_io import VIDEO_SUFFIXES, save_video

    if pathlib.Path(args.out).suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(f"--out {args.out} must end in one of {', '.join(VIDEO_SUFFIXES)}")
    tm = load_trained(args.workdir, args.step)
    z = latent_of(tm, args.index, args.latent)
    size = parse_ints(args.size, 2, "--size")
    shape, scale = output_shape(tm, args.out, args.frames, size, args.scale)
    video = render(FromLatents(tm.model, tm.params, z.reshape(1, -1)), shape)[0]
    path = save_video(args.out, video, fps=args.fps)
    print(f"wrote {path} ({scale_note(shape, scale)})")
    return 0
