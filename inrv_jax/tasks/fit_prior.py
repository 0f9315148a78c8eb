"""``inrv fit-prior``: a learned prior over a workdir's latents, stored next to the model.

CLI: ``inrv fit-prior --workdir DIR --kind gaussian|gmm|flow [--step S] [--seed S]
[--components K] [--steps N] [--hidden H] [--sample-steps N] [--solver euler|heun]`` writes
``DIR/priors/KIND/`` (see ``inrv_jax.prior.store``); ``inrv generate --mode prior:KIND`` samples it.
"""

from __future__ import annotations

from inrv_jax.checkpoint import load_trained
from inrv_jax.prior import KINDS, fit_prior
from inrv_jax.prior.store import save_prior

# argparse destinations -> prior options (None: the kind's default); only the kind's own apply.
OPTION_ARGS = ("components", "steps", "hidden", "sample_steps", "solver")


def fit_workdir(workdir, kind: str, step: int | None = None, seed: int = 0, **options):
    """Fit ``kind`` on the latents of ``workdir`` (checkpoint ``step``, default newest), save it
    and return the ``Prior``."""
    trained = load_trained(workdir, step)
    mine = {k: v for k, v in options.items() if k in KINDS[kind].defaults}
    prior = fit_prior(trained.latents, kind, seed=seed, step=trained.step, **mine)
    save_prior(workdir, prior)
    return prior


def run(args) -> int:
    options = {k: getattr(args, k) for k in OPTION_ARGS}
    prior = fit_workdir(args.workdir, args.kind, args.step, args.seed, **options)
    m = prior.meta
    loss = "" if m["final_loss"] is None else f", final loss {m['final_loss']:.4g}"
    print(
        f"fitted a {args.kind} prior on {m['num_latents']} latents of step {m['step']} in "
        f"{m['fit_seconds']:.1f} s{loss}; wrote {args.workdir}/priors/{args.kind}"
    )
    return 0
