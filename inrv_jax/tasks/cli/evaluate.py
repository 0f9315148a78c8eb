"""Arguments of ``inrv evaluate`` (run by ``inrv_jax.tasks.evaluate.run``)."""

from __future__ import annotations

import argparse

from inrv_jax.masks import HELDOUT_TASKS
from inrv_jax.tasks.cli.arguments import INITS, add_checkpoint_arguments, positive_int

# Named when the suite does not fit in memory (inrv_jax.cli).
MEMORY_KNOBS = ("--heldout-num", "--fvd-samples")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_checkpoint_arguments(p)
    p.add_argument("--out", default=None, help="output directory (default WORKDIR/eval)")
    p.add_argument("--heldout", default=None, help="data spec of held-out videos")
    p.add_argument("--heldout-num", type=int, default=8)
    p.add_argument("--tasks", default=",".join(HELDOUT_TASKS), help="comma-separated")
    p.add_argument("--steps", type=int, default=300, help="inversion steps")
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--init", default="mean", choices=INITS)
    p.add_argument(
        "--pixels-per-step",
        type=positive_int,
        default=None,
        help="observed pixels an inversion step draws (default all); fit-single draws the same",
    )
    p.add_argument(
        "--choose",
        action="store_true",
        help="first choose each task's method (init, steps, refinement) on validation clips "
        "disjoint from the test clips; writes OUT/recipe.json and WORKDIR/recipe.json",
    )
    p.add_argument("--validation-num", type=int, default=8, help="validation clips of --choose")
    p.add_argument(
        "--recipe", default=None, help="evaluate with a recipe file of an earlier --choose"
    )
    p.add_argument(
        "--encoder-steps",
        default="0,20",
        help="with a trained encoder in the workdir: inversion steps of its rows (comma list)",
    )
    p.add_argument(
        "--fvd-samples", type=int, default=16, help="0 skips FVD; 2048 = fvd2048_16f protocol"
    )
    p.add_argument("--no-lpips", action="store_true")
    p.add_argument(
        "--no-baselines",
        action="store_true",
        help="skip the model-free baselines beside each held-out task",
    )
    p.add_argument("--seed", type=int, default=0)
