"""``inrv fit-single``: one INR fitted directly to one video, with ``inrv_jax.tasks.fit_single``."""

from __future__ import annotations

import argparse
import json
import pathlib

from inrv_jax.commands.arguments import INR_KINDS
from inrv_jax.data.parsing import parse_ints
from inrv_jax.errors import InputError

# Named when the fit does not fit in memory (inrv_jax.cli).
MEMORY_KNOBS = ("--sample-frac", "a smaller --size", "fewer --frames", "--hidden")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("video", help="a data spec naming one video (file, frame folder, built-in)")
    p.add_argument("--index", type=int, default=0, help="which video of the spec (default 0)")
    p.add_argument("--frames", type=int, default=25)
    p.add_argument("--size", default="100,100", help="H,W")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--sample-frac", type=float, default=1.0)
    p.add_argument("--kind", default="relu_pe", choices=INR_KINDS)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--out", default=None, help="directory for psnr.json and the reconstruction")


def run(args) -> int:
    from inrv_jax.data import open_source
    from inrv_jax.inr import INRSpec
    from inrv_jax.pixels import to_unit_range
    from inrv_jax.tasks.fit_single import fit_single

    size = parse_ints(args.size, 2, "--size")
    source = open_source(args.video, frames=args.frames, size=size)
    if not 0 <= args.index < len(source):
        raise InputError(f"--index {args.index}: {args.video} has {len(source)} videos")
    video = to_unit_range(source.load(args.index))
    spec = INRSpec(kind=args.kind, hidden=args.hidden, depth=args.depth)
    params, curve = fit_single(
        video,
        spec,
        steps=args.steps,
        lr=args.lr,
        sample_frac=args.sample_frac,
        eval_every=args.eval_every,
        log=print,
    )
    if args.out:
        _write(pathlib.Path(args.out), params, curve, video.shape[:3], spec)
    print(f"final PSNR {curve[-1]['psnr']:.2f} dB after {curve[-1]['step']} steps")
    return 0


def _write(out: pathlib.Path, params, curve, shape, spec) -> None:
    """OUT/psnr.json and the reconstruction recon.(npy|mp4|gif) on the (T, H, W) grid."""
    import jax

    from inrv_jax.rendering import FromINRs, RenderSettings, render
    from inrv_jax.video_io import save_video

    out.mkdir(parents=True, exist_ok=True)
    (out / "psnr.json").write_text(json.dumps(curve, indent=1))
    batched = jax.tree.map(lambda a: a[None], params)
    recon = render(FromINRs(spec, batched), shape, RenderSettings(chunk=1 << 16))[0]
    for suffix in (".npy", ".mp4", ".gif"):
        save_video(out / f"recon{suffix}", recon)
    print(f"wrote {out}/psnr.json and recon.(npy|mp4|gif)")
