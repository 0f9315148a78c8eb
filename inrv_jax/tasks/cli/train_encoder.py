"""Arguments of ``inrv train-encoder`` (run by ``inrv_jax.tasks.train_encoder.run``)."""

from __future__ import annotations

import argparse

from inrv_jax.tasks.cli.arguments import add_checkpoint_arguments, positive_int

MEMORY_KNOBS = ("--batch", "--pixels")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_checkpoint_arguments(p)
    p.add_argument(
        "--steps", type=positive_int, default=2000, help="Adam steps (more, when continuing)"
    )
    p.add_argument("--batch", type=positive_int, default=32, help="clips a step")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--pixels", type=positive_int, default=1024, help="random pixels a step")
    p.add_argument(
        "--consistency",
        type=float,
        default=0.1,
        help="weight of ||E(x) - z_learned||² (in units of the latents' std)",
    )
    p.add_argument("--seed", type=int, default=0)
