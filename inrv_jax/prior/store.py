"""Priors on disk, next to the model: ``WORKDIR/priors/KIND/arrays/`` (an orbax PyTree
checkpoint of the fitted arrays or network params) and ``WORKDIR/priors/KIND/meta.json``.
Several kinds coexist; fitting a kind again replaces it."""

from __future__ import annotations

import json
import pathlib
import shutil
import warnings

import numpy as np
import orbax.checkpoint as ocp

from inrv_jax.errors import InputError
from inrv_jax.prior.fitting import KINDS, Prior

PRIORS = "priors"


def prior_dir(workdir, kind: str) -> pathlib.Path:
    return pathlib.Path(workdir) / PRIORS / kind


def fitted_kinds(workdir) -> list[str]:
    """The kinds fitted in ``workdir``, in ``KINDS`` order."""
    return [k for k in KINDS if (prior_dir(workdir, k) / "meta.json").is_file()]


def save_prior(workdir, prior: Prior) -> pathlib.Path:
    """Write ``prior`` (replacing one of its kind); returns its directory."""
    path = prior_dir(workdir, prior.kind)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    with ocp.PyTreeCheckpointer() as ckpt:
        ckpt.save((path / "arrays").absolute(), prior.arrays)
    # meta.json last: its presence marks a complete prior (fitted_kinds).
    (path / "meta.json").write_text(json.dumps(prior.meta, indent=1))
    return path


def load_prior(workdir, kind: str, step: int | None = None, dim: int | None = None) -> Prior:
    """The ``kind`` prior of ``workdir``.

    Args:
      step: the checkpoint step of the model it will feed; a prior fitted on another step's
        latents loads with a warning (same latent space shape, but not the latents it saw).
      dim: the model's latent size; another size is an error.
    """
    path = prior_dir(workdir, kind)
    if not (path / "meta.json").is_file():
        raise InputError(
            f"no {kind} prior in {workdir}: fit one with "
            f"`inrv fit-prior --workdir {workdir} --kind {kind}`"
        )
    meta = json.loads((path / "meta.json").read_text())
    if dim is not None and meta["latent_dim"] != dim:
        raise InputError(
            f"the {kind} prior in {path} has latents of size {meta['latent_dim']}, the model "
            f"{dim}: fit it again with `inrv fit-prior --workdir {workdir} --kind {kind}`"
        )
    if step is not None and meta["step"] is not None and meta["step"] != step:
        warnings.warn(
            f"the {kind} prior in {path} was fitted on the latents of step {meta['step']}, the "
            f"model is step {step}: refit with `inrv fit-prior --workdir {workdir} --kind {kind}`",
            stacklevel=2,
        )
    with ocp.PyTreeCheckpointer() as ckpt:
        arrays = ckpt.restore((path / "arrays").absolute())
    return Prior(_numpy(arrays), meta)


def _numpy(tree):
    if isinstance(tree, dict):
        return {k: _numpy(v) for k, v in tree.items()}
    return np.asarray(tree)
