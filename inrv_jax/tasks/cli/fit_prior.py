"""Arguments of ``inrv fit-prior`` (run by ``inrv_jax.tasks.fit_prior.run``)."""

from __future__ import annotations

import argparse

from inrv_jax.tasks.cli.arguments import PRIOR_KINDS, add_checkpoint_arguments, positive_int

MEMORY_KNOBS = ("a smaller --hidden (flow)",)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_checkpoint_arguments(p)
    p.add_argument("--kind", required=True, choices=PRIOR_KINDS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--components", type=positive_int, default=None, help="gmm: mixture size (8)")
    p.add_argument("--steps", type=positive_int, default=None, help="flow: Adam steps (3000)")
    p.add_argument("--hidden", type=positive_int, default=None, help="flow: MLP width (256)")
    p.add_argument(
        "--sample-steps",
        type=positive_int,
        default=None,
        help="flow: ODE steps when sampling (32)",
    )
    p.add_argument("--solver", default=None, choices=("euler", "heun"), help="flow (heun)")
