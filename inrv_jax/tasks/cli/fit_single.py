"""Arguments of ``inrv fit-single`` (run by ``inrv_jax.tasks.fit_single.run``)."""

from __future__ import annotations

import argparse

from inrv_jax.tasks.cli.arguments import INR_KINDS

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
