"""``inrv fit-prior``: a learned prior over a workdir's latents, with ``inrv_jax.tasks.fit_prior``."""

from __future__ import annotations

import argparse

from inrv_jax.commands.arguments import PRIOR_KINDS, add_checkpoint_arguments, positive_int

MEMORY_KNOBS = ("a smaller --hidden (flow)",)
# Flags -> prior options (None: the kind's default); only the kind's own apply.
OPTION_ARGS = ("components", "steps", "hidden", "sample_steps", "solver")


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


def run(args) -> int:
    from inrv_jax.tasks.fit_prior import fit_workdir

    options = {k: getattr(args, k) for k in OPTION_ARGS}
    prior = fit_workdir(args.workdir, args.kind, args.step, args.seed, **options)
    m = prior.meta
    loss = "" if m["final_loss"] is None else f", final loss {m['final_loss']:.4g}"
    print(
        f"fitted a {args.kind} prior on {m['num_latents']} latents of step {m['step']} in "
        f"{m['fit_seconds']:.1f} s{loss}; wrote {args.workdir}/priors/{args.kind}"
    )
    return 0
