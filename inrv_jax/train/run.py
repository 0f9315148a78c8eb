"""A training run built from parts: ``build_run(config, workdir) -> Run``.

Everything the loop needs — data, mesh, model, optimizer, shardings, checkpoint store, the
jitted step, the loader, the writer — is built here once, each part from the config slice it
needs, and held in a frozen ``Run``. The starting state is restored from the workdir's newest
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
from inrv_jax.config import resolve
from inrv_jax.coords import make_grid, num_sampled
from inrv_jax.data import VideoSource, make_loader, source_from_config
from inrv_jax.errors import ConfigError, UserError
from inrv_jax.model import ModelFns, make_model
from inrv_jax.pixels import to_unit_range
from inrv_jax.sharding import make_mesh, put_global, replicated, tree_shardings
from inrv_jax.state import TrainState, create_sharded_state, make_init_fn, make_optimizer
from inrv_jax.train.features import video_features
from inrv_jax.train.step import jit_train_step, make_train_step
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

    config: Any
    workdir: pathlib.Path
    source: VideoSource
    features: np.ndarray | None  # f32[N, T, F] frozen-encoder features, or None
    model: ModelFns
    tx: Any
    mesh: jax.sharding.Mesh
    state_sh: Any
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


def open_training_source(data_cfg, workdir: pathlib.Path) -> VideoSource:
    """The training videos; skipped bad videos (``data.on_error=skip``) are listed in the workdir."""
    source = source_from_config(data_cfg)
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


def load_lpips_if_used(loss_cfg):
    if loss_cfg.lpips_weight <= 0:
        return None
    from inrv_jax.metrics.lpips import load_lpips  # loads VGG weights: only when used

    return load_lpips(loss_cfg.lpips_net)


def initial_state(store, init_fn, key, mesh, rules, source, tx, init_state=None, spec=""):
    """(state, state_sh, start): the newest good checkpoint, or a fresh (grown) state.

    ``spec`` names the data in the error raised when the checkpoint was trained on other videos.
    """
    abstract = jax.eval_shape(init_fn, key)
    state_sh = tree_shardings(abstract, mesh, rules)
    store.size_hint = tree_bytes(abstract)  # for a full disk before the first save
    target = jax.tree.map(
        lambda s, sh: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sh), abstract, state_sh
    )
    found = store.restore_latest_good(target, quarantine=True)
    if found is None:
        state, state_sh = create_sharded_state(init_fn, key, mesh, rules)
        if init_state is not None:
            state = init_state(state, state_sh, source, tx)
        return state, state_sh, 0
    start, state, _, meta = found
    if json.loads(source.manifest.to_json()) != meta["manifest"]:
        raise DataMismatchError(
            f"workdir {store.directory.parent} holds a run trained on different videos than "
            f"data.spec={spec!r} gives now; use a new --workdir or the original data"
        )
    log.info("resuming from step %d", start)
    return state, state_sh, start


def build_run(config, workdir, init_state: InitState | None = None) -> Run:
    """Build every part of a run in ``workdir`` (see the module docstring). Fills the config's
    derived keys in place (``config.resolve``), so they are saved with every checkpoint."""
    workdir = pathlib.Path(workdir)
    resolve(config)
    source = open_training_source(config.data, workdir)
    video_shape = (int(config.data.frames), *(int(s) for s in config.data.size))
    mesh = make_mesh(config.mesh)
    batch = int(config.train.batch_size)
    check_batch_size(batch, mesh)
    features = video_features(config, source)  # f32[N, T, F] or None
    model = make_model(config.model, len(source))
    tx = make_optimizer(config.optim, int(config.train.steps))
    init_fn = make_init_fn(model, tx, None if features is None else features.shape[1:])
    store = CheckpointStore(workdir, keep=int(config.train.keep_checkpoints))
    if jax.process_index() == 0:  # the lock is held: a partial folder is an interrupted save
        store.remove_partial_saves()
    rules = [tuple(r) for r in config.mesh.rules]
    key = jax.random.key(config.seed)
    state, state_sh, start = initial_state(
        store, init_fn, key, mesh, rules, source, tx, init_state, config.data.spec
    )
    fshape = None if features is None else features.shape[1:]
    meta = make_meta(config, source.manifest.to_json(), len(source), video_shape,
                     model.module.latent_dim, fshape)  # fmt: skip
    train_step = make_train_step(model, tx, config, video_shape, load_lpips_if_used(config.loss))
    procs = jax.process_count()
    loader = make_loader(source, batch // procs, seed=config.seed, shard_index=jax.process_index(),
                         shard_count=procs, cache_dir=config.data.cache_dir, start_step=start)  # fmt: skip
    eval_ids = np.arange(min(int(config.train.eval_videos), len(source)))
    t, h, w = video_shape
    return Run(
        config=config, workdir=workdir, source=source, features=features, model=model, tx=tx,
        mesh=mesh, state_sh=state_sh, store=store, meta=meta,
        step_fn=jit_train_step(train_step, state_sh, mesh),
        coords=put_global(make_grid(t, h, w), replicated(mesh)),
        step_key=jax.jit(lambda: jax.random.key(config.seed + 1), out_shardings=replicated(mesh))(),
        loader=iter(loader), writer=MetricsWriter(workdir, jax.process_index() == 0),
        video_shape=video_shape, eval_ids=eval_ids,
        eval_targets=np.stack([to_unit_range(source.load(int(i))) for i in eval_ids]),
        pixels_per_step=batch * num_sampled(t * h * w, config.train.sample_frac),
        start=start, initial_state=state,
    )  # fmt: skip
