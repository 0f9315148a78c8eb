"""Arguments of ``inrv invert`` (run by ``inrv_jax.tasks.invert.run``)."""

from __future__ import annotations

import argparse

from inrv_jax import masks
from inrv_jax.tasks.cli.arguments import INITS, add_checkpoint_arguments, positive_int

# Named when an inversion does not fit in memory (inrv_jax.cli).
MEMORY_KNOBS = ("--batch", "--pixels-per-step", "a smaller --render-size")
REFINE_PARTS = ("all", "last", "biases")  # inrv_jax.tasks.refine.PARTS


def non_negative_int(text: str) -> int:
    """argparse type of --steps (0: no optimisation) and --refine."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_checkpoint_arguments(p)
    p.add_argument("--data", required=True, help="data spec of the videos to invert")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--data-seed", type=int, default=0, help="seed of built-in data")
    p.add_argument("--indices", default=None, help="e.g. 0,1,2 (default: every video)")
    p.add_argument("--first", type=int, default=None, help="with --num: videos FIRST..FIRST+NUM-1")
    p.add_argument("--num", type=int, default=None)
    p.add_argument("--task", default="all", choices=tuple(masks.TASKS))
    p.add_argument("--mask", default=None, help="user mask .npy ([T,H,W] bool or flat indices)")
    p.add_argument("--future-frames", type=int, default=masks.DEFAULT_FUTURE_FRAMES)
    p.add_argument("--sparse-frac", type=float, default=masks.DEFAULT_SPARSE_FRAC)
    p.add_argument("--box", default=None, help="hidden box t0,t1,y0,y1,x0,x1 (task box)")
    p.add_argument("--low-size", default=None, help="h,w observed by super-resolution")
    p.add_argument(
        "--steps", type=non_negative_int, default=300, help="Adam steps on z (0: the init only)"
    )
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument(
        "--init",
        default="mean",
        choices=(*INITS, "auto"),
        help="auto: the method `inrv evaluate --choose` picked on validation clips "
        "(WORKDIR/recipe.json)",
    )
    p.add_argument(
        "--recipe",
        default=None,
        help="recipe file of `inrv evaluate --choose`: init, steps, lr and refinement of the task",
    )
    p.add_argument("--batch", type=positive_int, default=16, help="videos inverted at once")
    p.add_argument(
        "--refine",
        type=non_negative_int,
        default=0,
        help="then fine-tune the generated INRs this many steps on the observed pixels",
    )
    p.add_argument(
        "--refine-params", default="all", choices=REFINE_PARTS, help="what --refine moves"
    )
    p.add_argument("--refine-lr", type=float, default=1e-4)
    p.add_argument(
        "--refine-anchor",
        type=float,
        default=0.0,
        help="pull of the refined INR towards the generated one (0: none)",
    )
    p.add_argument(
        "--residual",
        default="",
        help="a linear baseline of the task (repeat-last, blend, bicubic, biharmonic, "
        "nearest-pixel): that baseline on the observations plus INR-V's departure from it",
    )
    p.add_argument("--pixels-per-step", type=positive_int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--render-frames", type=int, default=None, help="also render T' frames")
    p.add_argument("--render-size", default=None, help="also render at H',W'")
    p.add_argument("--no-lpips", action="store_true", help="skip LPIPS (faster)")
    p.add_argument("--save-npy", action="store_true", help="also write raw float32 .npy videos")
    p.add_argument("--out", required=True, help="output directory")
