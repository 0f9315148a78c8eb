"""Checkpoints: the contract between training and every task.

Each checkpoint (orbax ``CheckpointManager``, one directory per step under
``WORKDIR/checkpoints``) holds three items:

* ``state``   — the ``TrainState`` (params of codes/conditioner/hypernetwork, Adam, step);
* ``latents`` — ``{"latents": f32[num_videos, latent_dim]}``, the latents actually fed to the
  hypernetwork (the official ``learned_latents``), used by generation and interpolation;
* ``meta``    — JSON: the config, the data manifest, ``num_videos`` and the clip shape.

A corrupt or partial latest checkpoint is reported and the previous good one is used.

Reading while a run writes: a step directory appears only when its save is complete (orbax
writes ``STEP.orbax-checkpoint-tmp`` and renames it), and old steps leave by one rename into
``checkpoints/_deleted`` (purged by the writer), so a reader never sees a half-written or
half-deleted step; one that vanishes while it is read is skipped for the newest again. Readers
open the store read-only and take no lock.

A full disk stops a save with ``DiskFullError`` naming the step, the newest intact checkpoint
and the space one checkpoint needs: checked before each save, and recognised when orbax's
background writer fails (its threads' tracebacks are silenced: the one message says it all).
Folders of saves that never finished are removed by the next run (``remove_partial_saves``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import pathlib
import shutil
import sys
import time
from typing import Any

import jax
import numpy as np
import orbax.checkpoint as ocp

from inrv_jax import settings as settings_lib
from inrv_jax.errors import DiskFullError, UserError, disk_full, human_bytes
from inrv_jax.model import make_model
from inrv_jax.settings import Settings
from inrv_jax.sharding import any_process
from inrv_jax.state import make_init_fn, make_optimizer

log = logging.getLogger(__name__)

PARTIAL_GLOB = "*.orbax-checkpoint-tmp*"  # a save that has not finished (or never will)
DELETED_DIR = "_deleted"  # old steps are renamed here in one step, then purged


class CheckpointError(UserError, RuntimeError):
    """No usable checkpoint; the message names the directory and what was wrong."""


def checkpoint_dir(workdir) -> pathlib.Path:
    return pathlib.Path(workdir).absolute() / "checkpoints"


class _OrbaxNoise(logging.Filter):
    """Drops orbax's log records that the store reports better itself: tracebacks of a save that
    failed for a full disk (logged once per background thread) and the read-only notice."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            exc = record.exc_info[1] if record.exc_info else None
            if (exc is not None and disk_full(exc)) or disk_full(Exception(record.getMessage())):
                return False
        return not record.getMessage().startswith("Given directory is read only")


logging.getLogger("absl").addFilter(_OrbaxNoise())


def _quiet_orphaned_io() -> None:
    """When one write of a save (or one read of a restore) fails, orbax abandons the others on a
    closed event loop. Each then reports through ``sys.unraisablehook``: 'Event loop is closed'
    when its I/O completes, and its coroutine's exception when it is garbage-collected (at exit:
    'Python is likely shutting down'). They say nothing the failure's own error (or the reader's
    retry) does not."""
    previous = sys.unraisablehook
    if getattr(previous, "_inrv_quiet", False):
        return

    def hook(unraisable):
        code = getattr(unraisable.object, "cr_code", None)  # a coroutine being finalized
        if code is not None and "orbax" in code.co_filename:
            return
        exc = unraisable.exc_value
        if isinstance(exc, RuntimeError) and str(exc) == "Event loop is closed":
            return
        previous(unraisable)

    hook._inrv_quiet = True
    sys.unraisablehook = hook


def _dir_bytes(path: pathlib.Path) -> int:
    """Disk blocks used under ``path`` (files may vanish meanwhile)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


def tree_bytes(tree) -> int:
    """Bytes of the arrays (or ShapeDtypeStructs) of a pytree."""
    return sum(int(np.prod(x.shape)) * np.dtype(x.dtype).itemsize for x in jax.tree.leaves(tree))


class CheckpointStore:
    """Thin wrapper over ``ocp.CheckpointManager`` with INR-V's three items.

    Args:
      read_only: for tasks reading a workdir (possibly while a run writes it): nothing is
        written, created or deleted.
    """

    def __init__(
        self,
        workdir,
        keep: int = 3,
        async_save: bool = True,
        create: bool = True,
        read_only: bool = False,
    ):
        self.workdir = pathlib.Path(workdir).absolute()
        self.directory = checkpoint_dir(workdir)
        self.read_only = read_only
        if read_only:
            options = ocp.CheckpointManagerOptions(
                read_only=True,
                save_interval_steps=0,
                create=False,
                enable_async_checkpointing=False,
                lightweight_initialize=True,  # no per-step reads a live run could race
            )
        else:
            options = ocp.CheckpointManagerOptions(
                max_to_keep=keep,
                create=create,
                enable_async_checkpointing=async_save,
                todelete_subdir=DELETED_DIR,
            )
        _quiet_orphaned_io()
        self.manager = ocp.CheckpointManager(
            self.directory, options=options, item_names=("state", "latents", "meta")
        )
        self._in_flight: int | None = None  # step of an async save not yet finished
        self.size_hint = 0  # bytes of one checkpoint while none is on disk (``tree_bytes``)

    def steps(self) -> list[int]:
        """Complete checkpoints on disk (plus the async save in flight, for the writer)."""
        try:
            names = [p.name for p in self.directory.iterdir()]
        except FileNotFoundError:
            names = []
        steps = {int(n) for n in names if n.isdigit()}
        if self._in_flight is not None:
            steps.add(self._in_flight)
        return sorted(steps)

    def save(self, step: int, state, latents, meta: dict) -> None:
        """Save one step (async when the store is). A full disk, found before writing or by
        the previous async save, raises ``DiskFullError``."""
        self.wait()
        if jax.process_index() == 0:  # orbax moves old steps aside on the primary process
            self._purge_deleted()
        self.size_hint = tree_bytes((state, latents)) + len(json.dumps(meta))
        needed, free = self.checkpoint_bytes(), shutil.disk_usage(self.directory).free
        if any_process(free < needed):
            raise self.disk_full_error(
                f"saving the checkpoint of step {step} was not started", step
            )
        try:
            self.manager.save(
                step,
                args=ocp.args.Composite(
                    state=ocp.args.StandardSave(state),
                    latents=ocp.args.StandardSave({"latents": latents}),
                    meta=ocp.args.JsonSave(meta),
                ),
                force=True,
            )
        except Exception as e:
            if disk_full(e):
                raise self.disk_full_error(f"saving the checkpoint of step {step} failed") from e
            raise
        self._in_flight = step

    def wait(self) -> None:
        """Wait for an async save; a full disk while it wrote raises ``DiskFullError``."""
        step, self._in_flight = self._in_flight, None
        try:
            self.manager.wait_until_finished()
        except Exception as e:
            if step is not None and disk_full(e):
                raise self.disk_full_error(f"saving the checkpoint of step {step} failed") from e
            raise

    def close(self) -> None:
        self.wait()
        self.manager.close()
        if not self.read_only and jax.process_index() == 0:
            self._purge_deleted()

    # -- full disks and unfinished saves ----------------------------------------------------

    def checkpoint_bytes(self) -> int:
        """Disk space one checkpoint takes: the newest on disk, else the state's size."""
        steps = [s for s in self.steps() if s != self._in_flight]
        measured = _dir_bytes(self.directory / str(steps[-1])) if steps else 0
        return measured or self.size_hint

    def disk_full_error(self, what: str, step: int | None = None) -> DiskFullError:
        """One message for a full disk: what failed, what is intact, what to do."""
        intact = [s for s in self.steps() if s != self._in_flight and s != step]
        try:
            free = human_bytes(shutil.disk_usage(self.workdir).free)
        except OSError:
            free = "unknown"
        need = self.checkpoint_bytes()
        size = f"one checkpoint needs {human_bytes(need)}, {free} free" if need else f"{free} free"
        if intact:
            kept = (
                f"the newest intact checkpoint is step {intact[-1]} and nothing else was lost; "
                f"free space (or move the workdir), then run the same command again to resume "
                f"from step {intact[-1]}"
            )
        else:
            kept = "no checkpoint was saved yet; free space, then run the same command again"
        return DiskFullError(f"disk full in workdir {self.workdir}: {what} ({size}); {kept}")

    def remove_partial_saves(self) -> list[pathlib.Path]:
        """Delete the folders of saves that never finished (a kill or a full disk mid-save).

        Only for the run that owns the workdir (its lock held): a live run's in-flight save
        looks the same.
        """
        removed = []
        for path in sorted(self.directory.glob(PARTIAL_GLOB)):
            shutil.rmtree(path, ignore_errors=True)
            log.warning("removed %s: a checkpoint whose save did not finish", path)
            removed.append(path)
        self._purge_deleted()
        return removed

    def _purge_deleted(self) -> None:
        shutil.rmtree(self.directory / DELETED_DIR, ignore_errors=True)

    # -- reading ----------------------------------------------------------------------------

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

        A step that disappears while it is read (a live run replaced it) is not corrupt: the
        newest step is taken again.

        Args:
          quarantine: move corrupt checkpoints to ``WORKDIR/corrupt_checkpoints/`` (kept for
            inspection, never deleted) so a resumed run can save those steps again.

        Returns:
          (step, state, latents, meta), or None when there is no checkpoint at all.
        """
        errors, tried = [], set()
        while candidates := [s for s in self.steps() if s not in tried]:
            step = candidates[-1]
            tried.add(step)
            try:
                state, latents, meta = self.restore(step, abstract_state)
            except Exception as e:  # noqa: BLE001 - any failure means "unusable", report it
                if not (self.directory / str(step)).exists():
                    log.info("checkpoint %d was replaced while being read; taking the newest", step)
                    continue
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


def make_meta(
    settings: Settings,
    manifest_json: str,
    num_videos: int,
    video_shape,
    latent_dim: int,
    features_shape=None,
) -> dict:
    """JSON metadata of a checkpoint: the run's settings (``config``, read back through
    ``settings.migrate``), their ``schema_version``, the data manifest and shapes.
    ``features_shape`` is (T, F) of the conditioner's frame features when conditioning is on."""
    return {
        "config": json.loads(json.dumps(settings_lib.to_dict(settings))),
        "schema_version": settings_lib.SCHEMA_VERSION,
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
    settings = settings_from_meta(meta)
    model = make_model(settings.model, meta["num_videos"])
    tx = make_optimizer(settings.optim, settings.train.steps)
    fshape = meta.get("features_shape")
    init = make_init_fn(model, tx, None if fshape is None else tuple(fshape))
    device = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
    return jax.tree.map(
        lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=device),
        jax.eval_shape(init, jax.random.key(0)),
    )


def settings_from_meta(meta: dict) -> Settings:
    """The run's settings as its checkpoint stored them, brought up to date by
    ``settings.migrate`` (checkpoints written before ``schema_version`` existed are version 1)."""
    return settings_lib.from_stored(meta["config"], meta.get("schema_version", 1))


@dataclasses.dataclass
class TrainedModel:
    """What every task reads from a workdir: the model, its params and learned latents."""

    settings: Settings
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
    directory = checkpoint_dir(workdir)
    if not directory.is_dir():
        raise CheckpointError(
            f"{directory} does not exist: {workdir} is not a training workdir "
            "(train with `inrv train` or import with `inrv import-official` first)"
        )
    store = CheckpointStore(workdir, read_only=True)  # no lock: a live run may be writing
    try:
        if step is None:
            found = store.restore_latest_good(local_abstract_state)
            if found is None:
                raise CheckpointError(
                    f"no checkpoint in {directory} yet: train longer (train.checkpoint_every) "
                    "or wait for the run's first checkpoint"
                )
            step, state, latents, meta = found
        else:
            if step not in store.steps():
                raise CheckpointError(
                    f"no checkpoint for step {step} in {directory}; it has steps {store.steps()}"
                )
            try:
                state, latents, meta = store.restore(step, local_abstract_state)
            except Exception as e:  # noqa: BLE001 - any failure means "unusable", report it
                gone = not (directory / str(step)).exists()
                why = (
                    "was removed while being read (a live run keeps only the newest)"
                    if gone
                    else f"is corrupt or partial ({e!r:.300})"
                )
                raise CheckpointError(f"checkpoint {directory / str(step)} {why}") from e
    finally:
        store.close()
    settings = settings_from_meta(meta)
    model = make_model(settings.model, meta["num_videos"])
    params = jax.tree.map(np.asarray, state.params)
    return TrainedModel(settings, meta, model, params, latents, step)
