"""Progressive weight initialization (INR-V §3.3): train on 10, 100, 1,000, 10,000, then all
videos, each stage starting from the previous stage's hypernetwork (and conditioner).

Each stage is an ordinary run in ``WORKDIR/stage_{k}_{n}videos``. At a stage's start:
  * hypernetwork and conditioner params are copied from the previous stage's final checkpoint;
  * the codebook grows: rows of the previous videos are copied (the manifest must show that
    the first rows are the same videos), rows of new videos are drawn fresh from N(0, 0.01²);
  * the optimizer state is reset (a fresh Adam, as the official script builds a new optimizer
    per stage): the previous moments belong to a smaller codebook and to a schedule that ended;
  * the latent size is resolved once from the full dataset ("auto" -> 128 above 2,000 videos)
    so weights stay compatible across stages.
A stage is done when its ``summary.json`` exists; rerunning the command skips finished stages
and resumes the unfinished one from its own checkpoints.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import pathlib

import jax
import numpy as np

from inrv_jax import settings as settings_lib
from inrv_jax.checkpoint import load_trained
from inrv_jax.data import source_from_settings
from inrv_jax.errors import ConfigError
from inrv_jax.model import resolve_latent_dim
from inrv_jax.settings import Settings
from inrv_jax.sharding import host_tree, path_str, put_global
from inrv_jax.state import TrainState
from inrv_jax.train.loop import train_and_evaluate
from inrv_jax.train.run import DataMismatchError

log = logging.getLogger(__name__)


def resolve_stages(stages, steps, total_videos: int) -> list[tuple[int, int]]:
    """[(num_videos, steps)] with -1 meaning all videos; stages beyond the data are dropped.

    Args:
      stages: e.g. (10, 100, 1000, 10000, -1).
      steps: steps per stage, one int for all or one per stage.
    """
    stages = list(stages)
    steps = list(steps) if isinstance(steps, (list, tuple)) else [int(steps)] * len(stages)
    if len(steps) != len(stages):
        raise ConfigError(
            f"config key train.stage_steps has {len(steps)} entries for {len(stages)} stages"
        )
    out = []
    for n, s in zip(stages, steps, strict=True):
        n = total_videos if n == -1 else min(int(n), total_videos)
        if out and n <= out[-1][0]:
            continue  # e.g. 10,000 and "all" on a 5,000-video dataset
        out.append((n, int(s)))
    return out


def grow_params(fresh, previous, num_previous: int):
    """Stage-start params: ``previous`` everywhere, except new codebook rows from ``fresh``.

    Args:
      fresh: the new stage's freshly initialised params (host arrays).
      previous: the previous stage's final params (host arrays).
      num_previous: codebook rows of the previous stage.
    """

    def merge(path, new, old):
        name = path_str(path)
        new, old = np.asarray(new), np.asarray(old)
        if name.startswith(("codes/", "code_logvar/")):
            if old.shape[0] != num_previous or new.shape[1:] != old.shape[1:]:
                raise ConfigError(f"cannot grow codebook {name}: {old.shape} -> {new.shape}")
            return np.concatenate([old, new[num_previous:]], axis=0)
        if new.shape != old.shape:
            raise ConfigError(
                f"parameter {name} changed shape between stages ({old.shape} -> {new.shape}); "
                "stages must share the architecture"
            )
        return old

    return jax.tree_util.tree_map_with_path(merge, fresh, previous)


def start_from_previous(prev_workdir, state, state_sh, source, tx) -> TrainState:
    """A stage's first state: the previous stage's final weights with a grown codebook and a
    fresh optimizer state (``grow_params``)."""
    prev = load_trained(prev_workdir)
    n_prev = prev.meta["num_videos"]
    prev_entries = json.loads(prev.manifest_json)["entries"]
    now_entries = json.loads(source.manifest.to_json())["entries"][:n_prev]
    if prev_entries != now_entries:
        raise DataMismatchError(
            f"the first {n_prev} videos of this stage are not the videos of {prev_workdir}; "
            "progressive stages must grow the same ordered dataset"
        )
    fresh = jax.tree.map(np.asarray, host_tree(state.params))
    params = put_global(grow_params(fresh, prev.params, n_prev), state_sh.params)
    opt_state = jax.jit(tx.init, out_shardings=state_sh.opt_state)(params)
    log.info("stage starts from %s (%d codes copied)", prev_workdir, n_prev)
    return TrainState(
        step=state.step, params=params, opt_state=opt_state, notfinite=state.notfinite
    )


@dataclasses.dataclass(frozen=True)
class GrowFrom:
    """``train_and_evaluate``'s ``init_state`` for a stage that grows ``prev_workdir``'s run."""

    prev_workdir: pathlib.Path

    def __call__(self, state, state_sh, source, tx) -> TrainState:
        return start_from_previous(self.prev_workdir, state, state_sh, source, tx)


def train_progressive(settings: Settings, workdir) -> dict:
    """Run every stage of ``settings.train.stages`` in ``workdir``; returns the last stage's
    metrics."""
    workdir = pathlib.Path(workdir)
    total = len(source_from_settings(settings.data))
    stages = resolve_stages(settings.train.stages, settings.train.stage_steps, total)
    latent_dim = resolve_latent_dim(settings.model.latent_dim, total)
    previous_dir, final = None, {}
    for k, (n, steps) in enumerate(stages):
        stage_dir = workdir / f"stage_{k}_{n}videos"
        if (stage_dir / "summary.json").exists():
            log.info("stage %d (%d videos) already finished", k, n)
            final = json.loads((stage_dir / "summary.json").read_text())
            previous_dir = stage_dir
            continue
        stage = settings_lib.replace(settings, {
            "data.num_videos": n, "model.latent_dim": str(latent_dim), "train.steps": steps,
            "train.stages": (), "optim.warmup_steps": min(settings.optim.warmup_steps, steps - 1),
        })  # fmt: skip
        log.info("progressive stage %d/%d: %d videos, %d steps", k + 1, len(stages), n, steps)
        grow = None if previous_dir is None else GrowFrom(previous_dir)
        final = train_and_evaluate(stage, stage_dir, init_state=grow)
        if "stopped_at" in final:
            return final
        previous_dir = stage_dir
    return final
