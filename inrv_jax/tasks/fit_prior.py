"""``inrv fit-prior``: a learned prior over a workdir's latents, stored next to the model.

CLI: ``inrv fit-prior --workdir DIR --kind gaussian|gmm|flow [--step S] [--seed S]
[--components K] [--steps N] [--hidden H] [--sample-steps N] [--solver euler|heun]`` writes
``DIR/priors/KIND/`` (see ``inrv_jax.prior.store``); ``inrv generate --mode prior:KIND`` samples it.
"""

from __future__ import annotations

from inrv_jax.checkpoint import load_trained
from inrv_jax.prior import KINDS, fit_prior
from inrv_jax.prior.store import save_prior


def fit_workdir(workdir, kind: str, step: int | None = None, seed: int = 0, **options):
    """Fit ``kind`` on the latents of ``workdir`` (checkpoint ``step``, default newest), save it
    and return the ``Prior``. ``options``: prior options (components, steps, hidden,
    sample_steps, solver); None keeps the kind's default, those of other kinds are ignored."""
    trained = load_trained(workdir, step)
    mine = {k: v for k, v in options.items() if k in KINDS[kind].defaults}
    prior = fit_prior(trained.latents, kind, seed=seed, step=trained.step, **mine)
    save_prior(workdir, prior)
    return prior
