"""Checkpoints: the contract between training and every task.

Each checkpoint (orbax ``CheckpointManager``, one directory per step under
``WORKDIR/checkpoints``) holds three items:

* ``state``   — the ``TrainState`` (params of codes/conditioner/hypernetwork, Adam, step);
* ``latents`` — ``{"latents": f32[num_videos, latent_dim]}``, the latents actually fed to the
  hypernetwork (the official ``learned_latents``), used by generation and interpolation;
* ``meta``    — JSON: the config, the data manifest, ``num_videos`` and the clip shape.

A corrupt or partial latest checkpoint is reported and the previous good one is used.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import pathlib
import shutil
import time
from typing import Any

import jax
import ml_collections
import numpy as np
import orbax.checkpoint as ocp

log = logging.getLogger(__name__)


class CheckpointError(RuntimeError):
    """No usable checkpoint; the message names the directory and what was wrong."""


def checkpoint_dir(workdir) -> pathlib.Path:
    return pathlib.Path(workdir).absolute() / "checkpoints"


class CheckpointStore:
    """Thin wrapper over ``ocp.CheckpointManager`` with INR-V's three items."""

    def __init__(self, workdir, keep: int = 3, async_save: bool = True, create: bool = True):
        self.directory = checkpoint_dir(workdir)
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep, create=create, enable_async_checkpointing=async_save
        )
        self.manager = ocp.CheckpointManager(
            self.directory, options=options, item_names=("state", "latents", "meta")
        )

    def steps(self) -> list[int]:
        return sorted(self.manager.all_steps())

    def save(self, step: int, state, latents, meta: dict) -> None:
        self.manager.save(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardSave(state),
                latents=ocp.args.StandardSave({"latents": latents}),
                meta=ocp.args.JsonSave(meta),
            ),
            force=True,
        )

    def restore(self, step: int, abstract_state=None) -> tuple[Any, np.ndarray, dict]:
        """Restore one step.

        ``abstract_state`` is a tree of ShapeDtypeStructs with shardings (restores onto the
        devices as the live run has them), or a function ``meta -> such a tree``.
        """
        if callable(abstract_state):  # built from the checkpoint's own config
            meta = self.manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))
            abstract_state = abstract_state(meta["meta"])
        args = ocp.args.Composite(
            state=ocp.args.StandardRestore(abstract_state),
            latents=ocp.args.StandardRestore(),
            meta=ocp.args.JsonRestore(),
        )
        out = self.manager.restore(step, args=args)
        return out["state"], np.asarray(out["latents"]["latents"]), out["meta"]

    def restore_latest_good(self, abstract_state=None, quarantine: bool = False):
        """Newest checkpoint that restores cleanly, falling back over corrupt ones.

        Args:
          quarantine: move corrupt checkpoints to ``WORKDIR/corrupt_checkpoints/`` (kept for
            inspection, never deleted) so a resumed run can save those steps again.

        Returns:
          (step, state, latents, meta), or None when there is no checkpoint at all.
        """
        steps = self.steps()
        errors = []
        for step in reversed(steps):
            try:
                state, latents, meta = self.restore(step, abstract_state)
            except Exception as e:  # noqa: BLE001 - any failure means "unusable", report it
                msg = f"checkpoint {self.directory / str(step)} is corrupt or partial ({e!r:.300})"
                log.warning("%s; trying the previous one", msg)
                errors.append(msg)
                if quarantine and jax.process_index() == 0:
                    self._quarantine(step)
                continue
            if errors:
                log.warning("resuming from step %d after skipping: %s", step, "; ".join(errors))
            return step, state, latents, meta
        if errors:
            raise CheckpointError(
                "no usable checkpoint in " + str(self.directory) + ": " + "; ".join(errors)
            )
        return None

    def _quarantine(self, step: int) -> None:
        dest = self.directory.parent / "corrupt_checkpoints" / f"{step}-{int(time.time())}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(self.directory / str(step)), dest)
        log.warning("moved corrupt checkpoint %d to %s", step, dest)
        self.manager.reload()

    def wait(self) -> None:
        self.manager.wait_until_finished()

    def close(self) -> None:
        self.manager.wait_until_finished()
        self.manager.close()


def make_meta(
    config, manifest_json: str, num_videos: int, video_shape, latent_dim: int, features_shape=None
) -> dict:
    """JSON metadata of a checkpoint. ``features_shape`` is (T, F) of the conditioner's
    frame features when conditioning is on."""
    return {
        "config": json.loads(config.to_json()),
        "manifest": json.loads(manifest_json),
        "num_videos": int(num_videos),
        "video_shape": [int(x) for x in video_shape],
        "latent_dim": int(latent_dim),
        "features_shape": None if features_shape is None else [int(x) for x in features_shape],
    }


def local_abstract_state(meta: dict):
    """The TrainState tree of a checkpoint as ShapeDtypeStructs on this process's first device.

    Restoring against it works whatever topology saved the checkpoint (e.g. a multi-host run
    read back on a laptop).
    """
    from inrv_jax.model import make_model
    from inrv_jax.train.state import make_init_fn, make_optimizer

    config = config_from_meta(meta)
    model = make_model(config.model, meta["num_videos"])
    tx = make_optimizer(config.optim, int(config.train.steps))
    fshape = meta.get("features_shape")
    init = make_init_fn(model, tx, None if fshape is None else tuple(fshape))
    device = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
    return jax.tree.map(
        lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=device),
        jax.eval_shape(init, jax.random.key(0)),
    )


def config_from_meta(meta: dict) -> ml_collections.ConfigDict:
    """The run's config as saved (JSON lists where the file had tuples)."""
    return ml_collections.ConfigDict(meta["config"])


@dataclasses.dataclass
class TrainedModel:
    """What every task reads from a workdir: the model, its params and learned latents."""

    config: ml_collections.ConfigDict
    meta: dict
    model: Any  # inrv_jax.model.ModelFns
    params: Any
    latents: np.ndarray  # f32[num_videos, latent_dim]
    step: int

    @property
    def manifest_json(self) -> str:
        return json.dumps(self.meta["manifest"])

    @property
    def video_shape(self) -> tuple[int, int, int]:
        return tuple(self.meta["video_shape"])


def load_trained(workdir, step: int | None = None) -> TrainedModel:
    """Load a trained (or imported) model for the downstream tasks.

    Args:
      workdir: a training workdir (``WORKDIR/checkpoints/STEP``).
      step: a specific step; default the newest good one.
    """
    from inrv_jax.model import make_model  # local: model imports nothing from here

    directory = checkpoint_dir(workdir)
    if not directory.is_dir():
        raise CheckpointError(
            f"{directory} does not exist: {workdir} is not a training workdir "
            "(train with `inrv train` or import with `inrv import-official` first)"
        )
    store = CheckpointStore(workdir, create=False, async_save=False)
    try:
        if step is None:
            found = store.restore_latest_good(local_abstract_state)
            if found is None:
                raise CheckpointError(f"no checkpoint in {directory}")
            step, state, latents, meta = found
        else:
            if step not in store.steps():
                raise CheckpointError(f"no checkpoint for step {step} in {directory}")
            state, latents, meta = store.restore(step, local_abstract_state)
    finally:
        store.close()
    config = config_from_meta(meta)
    model = make_model(config.model, meta["num_videos"])
    params = jax.tree.map(np.asarray, state.params)
    return TrainedModel(config, meta, model, params, latents, step)
