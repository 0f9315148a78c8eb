"""A training run built from parts: ``build_run(settings, workdir) -> Run``.

Everything the loop needs — data, the step's parts (``train.step.build_step``: mesh, model,
optimizer, shardings, jitted step), checkpoint store, the loader, the writer — is built here
once, each part from the settings section it needs, and held in a frozen ``Run``. The starting state is restored from the workdir's newest
good checkpoint or created (and, for a progressive stage, passed through ``init_state``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import jax
import numpy as np

from inrv_jax.checkpoint import CheckpointStore, make_meta, tree_bytes
from inrv_jax.coords import make_grid, num_sampled
from inrv_jax.data import VideoSource, make_loader, source_from_settings
from inrv_jax.errors import ConfigError, UserError
from inrv_jax.model import ModelFns
from inrv_jax.pixels import to_unit_range
from inrv_jax.settings import DataSettings, Settings, TrainSettings, resolve
from inrv_jax.sharding import make_mesh, put_global, replicated
from inrv_jax.state import TrainState
from inrv_jax.train.features import video_features
from inrv_jax.train.step import TrainStep, build_step
from inrv_jax.train.writer import MetricsWriter

log = logging.getLogger(__name__)

# ``init_state(state, state_sh, source, tx) -> state``: how a fresh run's first state is made
# from the freshly initialised one (e.g. a progressive stage growing the previous stage).
InitState = Callable[[TrainState, Any, VideoSource, Any], TrainState]


class DataMismatchError(UserError, RuntimeError):
    """The workdir's run was trained on other videos than the config gives now."""


@dataclasses.dataclass(frozen=True)
class Run:
    """The parts of one training run (built by ``build_run``; the loop carries the state)."""

    train: TrainSettings  # what the loop reads of the settings: steps, intervals, outputs
    seed: int
    workdir: pathlib.Path
    source: VideoSource
    features: np.ndarray | None  # f32[N, T, F] frozen-encoder features, or None
    model: ModelFns
    mesh: jax.sharding.Mesh
    store: CheckpointStore
    meta: dict
    step_fn: Callable
    coords: jax.Array  # f32[T*H*W, 3], replicated
    step_key: jax.Array
    loader: Iterator[dict]
    writer: MetricsWriter
    video_shape: tuple[int, int, int]
    eval_ids: np.ndarray
    eval_targets: np.ndarray  # f32[E, T, H, W, 3] in [-1, 1]
    pixels_per_step: int
    start: int  # the step the initial state has done
    initial_state: TrainState

    @property
    def is_main(self) -> bool:
        return jax.process_index() == 0


def open_training_source(data: DataSettings, workdir: pathlib.Path) -> VideoSource:
    """The training videos; skipped bad videos (``data.on_error=skip``) are listed in the workdir."""
    source = source_from_settings(data)
    if source.skipped:
        lines = [f"{path}\t{reason}" for path, reason in source.skipped]
        (workdir / "skipped_videos.txt").write_text("\n".join(lines) + "\n")
        log.warning("skipped %d bad videos; see %s", len(lines), workdir / "skipped_videos.txt")
    return source


def check_batch_size(batch: int, mesh) -> None:
    procs = jax.process_count()
    if batch % mesh.shape["data"] or batch % procs:
        raise ConfigError(
            f"config key train.batch_size={batch} must be divisible by the data axis "
            f"({mesh.shape['data']} devices) and the process count ({procs})"
        )


def initial_state(store, parts: TrainStep, key, source, init_state=None, spec=""):
    """(state, start): the newest good checkpoint, or a fresh (grown) state.

    ``spec`` names the data in the error raised when the checkpoint was trained on other videos.
    """
    abstract = jax.eval_shape(parts.init_fn, key)
    store.size_hint = tree_bytes(abstract)  # for a full disk before the first save
    target = jax.tree.map(
        lambda s, sh: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sh), abstract, parts.state_sh
    )
    found = store.restore_latest_good(target, quarantine=True)
    if found is None:
        state = parts.init_state(key)
        if init_state is not None:
            state = init_state(state, parts.state_sh, source, parts.tx)
        return state, 0
    start, state, _, meta = found
    if json.loads(source.manifest.to_json()) != meta["manifest"]:
        raise DataMismatchError(
            f"workdir {store.directory.parent} holds a run trained on different videos than "
            f"data.spec={spec!r} gives now; use a new --workdir or the original data"
        )
    log.info("resuming from step %d", start)
    return state, start


def build_run(settings: Settings, workdir, init_state: InitState | None = None) -> Run:
    """Build every part of a run in ``workdir`` (see the module docstring). The settings'
    derived keys are filled first (``settings.resolve``), so they are saved with every
    checkpoint."""
    workdir, settings = pathlib.Path(workdir), resolve(settings)
    source = open_training_source(settings.data, workdir)
    batch = settings.train.batch_size
    check_batch_size(batch, make_mesh(settings.mesh))
    features = video_features(settings, source)  # f32[N, T, F] or None
    fshape = None if features is None else features.shape[1:]
    parts = build_step(settings, len(source), features_shape=fshape)
    store = CheckpointStore(workdir, keep=settings.train.keep_checkpoints)
    if jax.process_index() == 0:  # the lock is held: a partial folder is an interrupted save
        store.remove_partial_saves()
    key = jax.random.key(settings.seed)
    state, start = initial_state(store, parts, key, source, init_state, settings.data.spec)
    video_shape = settings.video_shape
    meta = make_meta(settings, source.manifest.to_json(), len(source), video_shape,
                     parts.model.module.latent_dim, fshape)  # fmt: skip
    procs, mesh = jax.process_count(), parts.mesh
    loader = make_loader(source, batch // procs, seed=settings.seed, shard_index=jax.process_index(),
                         shard_count=procs, cache_dir=settings.data.cache_dir, start_step=start)  # fmt: skip
    eval_ids = np.arange(min(settings.train.eval_videos, len(source)))
    step_key = jax.jit(lambda: jax.random.key(settings.seed + 1), out_shardings=replicated(mesh))
    return Run(
        train=settings.train, seed=settings.seed, workdir=workdir, source=source, features=features, model=parts.model,
        mesh=mesh, store=store, meta=meta, step_fn=parts.step_fn,
        coords=put_global(make_grid(*video_shape), replicated(mesh)), step_key=step_key(),
        loader=iter(loader), writer=MetricsWriter(workdir, jax.process_index() == 0),
        video_shape=video_shape, eval_ids=eval_ids,
        eval_targets=np.stack([to_unit_range(source.load(int(i))) for i in eval_ids]),
        pixels_per_step=batch * num_sampled(int(np.prod(video_shape)), settings.train.sample_frac),
        start=start, initial_state=state,
    )  # fmt: skip
