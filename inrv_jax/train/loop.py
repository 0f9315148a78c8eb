"""The trainer: data -> sharded steps -> logs, evals, samples and orbax checkpoints.

``train_and_evaluate(config, workdir)`` is the whole run; the CLI and the launchers are thin
wrappers. Starting on a workdir that has checkpoints resumes from the newest good one and
reproduces the uninterrupted run (same batches, same per-step randomness).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np

from inrv_jax.checkpoint import CheckpointStore, make_meta, tree_bytes
from inrv_jax.coords import make_grid, num_sampled
from inrv_jax.errors import ConfigError, DiskFullError, UserError, disk_full
from inrv_jax.model import make_model
from inrv_jax.sharding import global_batch, make_mesh, put_global, replicated, tree_shardings
from inrv_jax.train.features import video_features
from inrv_jax.train.outputs import write_samples
from inrv_jax.train.state import create_sharded_state, make_init_fn, make_optimizer
from inrv_jax.train.step import jit_train_step, learned_latents, make_train_step
from inrv_jax.train.workdir import StopRequest, WorkdirLock

log = logging.getLogger(__name__)


class NonFiniteLossError(UserError, FloatingPointError):
    """The loss or gradients went non-finite; the last good checkpoint is intact."""


class DataMismatchError(UserError, RuntimeError):
    """The workdir's run was trained on other videos than the config gives now."""


def maybe_initialize_distributed(dist_cfg) -> None:
    """``jax.distributed.initialize`` when the config names a coordinator (multi-host).

    ``coordinator="auto"`` lets JAX detect the cluster (TPU pods, SLURM, Open MPI);
    ``"HOST:PORT"`` with ``num_processes``/``process_id`` sets it explicitly. CPU-only runs
    (tests, laptops) use gloo collectives.
    """
    if dist_cfg.coordinator is None or jax.distributed.is_initialized():
        return
    if dist_cfg.get("cpu_collectives"):
        jax.config.update("jax_cpu_collectives_implementation", dist_cfg.cpu_collectives)
    if dist_cfg.coordinator == "auto":
        jax.distributed.initialize()
    else:
        jax.distributed.initialize(
            dist_cfg.coordinator,
            num_processes=dist_cfg.num_processes,
            process_id=dist_cfg.process_id,
        )


def host_tree(tree):
    """Params as host numpy on every process (a gather of sharded global arrays when
    multi-host), so evaluation and sample rendering run locally without collectives."""
    if jax.process_count() == 1:
        return tree
    from jax.experimental import multihost_utils

    return multihost_utils.process_allgather(tree, tiled=True)


def _any_process(flag: bool) -> bool:
    if jax.process_count() == 1:
        return flag
    from jax.experimental import multihost_utils

    return bool(np.any(multihost_utils.process_allgather(np.array([flag]))))


def _to_unit(video_u8: np.ndarray) -> np.ndarray:
    return video_u8.astype(np.float32) / 127.5 - 1.0


def _per_video_psnr(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    from inrv_jax.metrics.image import psnr

    return np.asarray(psnr(jnp.asarray(pred), jnp.asarray(target)))


class _Writer:
    """TensorBoard scalars/images plus a metrics.jsonl, on process 0 only.

    Events are written and flushed by the calling thread (not tensorboardX's writer thread), so
    a full disk raises here, where the loop reports it, instead of killing that thread and then
    blocking the run on its full queue.
    """

    def __init__(self, workdir: pathlib.Path, enabled: bool):
        self.enabled = enabled
        self.tb = None
        if enabled:
            from tensorboardX.event_file_writer import EventsWriter

            (workdir / "tb").mkdir(exist_ok=True)
            self.tb = EventsWriter(str(workdir / "tb" / "events"))
            self.jsonl = open(workdir / "metrics.jsonl", "a")  # noqa: SIM115

    def _write(self, step: int, summaries) -> None:
        from tensorboardX.proto.event_pb2 import Event

        for summary in summaries:
            self.tb.write_event(Event(summary=summary, step=step, wall_time=time.time()))
        self.tb.flush()

    def scalars(self, step: int, metrics: dict) -> None:
        if not self.enabled:
            return
        from tensorboardX.summary import scalar

        self._write(step, [scalar(k, v) for k, v in metrics.items()])
        self.jsonl.write(json.dumps({"step": step, **metrics}) + "\n")
        self.jsonl.flush()

    def image(self, step: int, tag: str, png_path: pathlib.Path) -> None:
        if self.enabled and png_path.exists():
            from PIL import Image
            from tensorboardX.summary import image

            pixels = np.asarray(Image.open(png_path))
            self._write(step, [image(tag, pixels, dataformats="HWC")])

    def close(self):
        if self.enabled:
            self.tb.close()
            self.jsonl.close()


def train_and_evaluate(config, workdir, init_from=None) -> dict:
    """Train (or resume) a run in ``workdir`` and write its outputs.

    Args:
      init_from: a previous progressive stage's workdir; a fresh run (no checkpoint in
        ``workdir``) starts from its weights with a grown codebook (see ``progressive``).

    Returns:
      Final metrics, including ``recon/psnr`` over the training videos.
    """
    workdir = pathlib.Path(workdir)
    maybe_initialize_distributed(config.distributed)
    workdir.mkdir(parents=True, exist_ok=True)
    # Multi-host: every process shares the workdir; process 0 owns the lock.
    lock = WorkdirLock(workdir) if jax.process_index() == 0 else contextlib.nullcontext()
    try:
        with lock, StopRequest() as stop:
            return _train(config, workdir, stop, init_from)
    except DiskFullError:
        raise
    except OSError as e:  # before the loop (lock, skipped-video list, logs): nothing to lose yet
        if not disk_full(e):
            raise
        raise DiskFullError(
            f"disk full in workdir {workdir} ({e.strerror}) before training started; free space "
            "there, then run the same command again"
        ) from e


def _train(config, workdir: pathlib.Path, stop, init_from=None) -> dict:
    from inrv_jax.data import make_loader, source_from_config

    is_main = jax.process_index() == 0
    source = source_from_config(config.data)
    if source.skipped:
        lines = [f"{path}\t{reason}" for path, reason in source.skipped]
        (workdir / "skipped_videos.txt").write_text("\n".join(lines) + "\n")
        log.warning("skipped %d bad videos; see %s", len(lines), workdir / "skipped_videos.txt")
    num_videos = len(source)
    video_shape = (int(config.data.frames), *(int(s) for s in config.data.size))
    t, h, w = video_shape
    mesh = make_mesh(config.mesh)
    batch = int(config.train.batch_size)
    procs = jax.process_count()
    if batch % (mesh.shape["data"]) or batch % procs:
        raise ConfigError(
            f"config key train.batch_size={batch} must be divisible by the data axis "
            f"({mesh.shape['data']} devices) and the process count ({procs})"
        )

    features = video_features(config, source)  # f32[N, T, F] or None
    model = make_model(config.model, num_videos)
    lpips = None
    if config.loss.lpips_weight > 0:
        from inrv_jax.metrics.lpips import load_lpips

        lpips = load_lpips(config.loss.lpips_net)
    total = int(config.train.steps)
    tx = make_optimizer(config.optim, total)
    init_fn = make_init_fn(model, tx, None if features is None else features.shape[1:])
    rules = [tuple(r) for r in config.mesh.rules]
    key = jax.random.key(config.seed)
    abstract = jax.eval_shape(init_fn, key)
    state_sh = tree_shardings(abstract, mesh, rules)
    store = CheckpointStore(workdir, keep=int(config.train.keep_checkpoints))
    store.size_hint = tree_bytes(abstract)  # for a full disk before the first save
    if is_main:  # the lock is held: a partial folder is an interrupted save, not a live one
        store.remove_partial_saves()
    restore_target = jax.tree.map(
        lambda s, sh: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sh), abstract, state_sh
    )
    found = store.restore_latest_good(restore_target, quarantine=True)
    manifest_json = source.manifest.to_json()
    if found is None:
        state, state_sh = create_sharded_state(init_fn, key, mesh, rules)
        start = 0
        if init_from is not None:
            state = _grow_from(init_from, state, state_sh, source, tx)
    else:
        start, state, _, meta = found
        if json.loads(manifest_json) != meta["manifest"]:
            raise DataMismatchError(
                f"workdir {workdir} holds a run trained on different videos than "
                f"data.spec={config.data.spec!r} gives now; use a new --workdir or the original data"
            )
        log.info("resuming from step %d", start)
    meta = make_meta(
        config,
        manifest_json,
        num_videos,
        video_shape,
        model.module.latent_dim,
        None if features is None else features.shape[1:],
    )

    step_fn = jit_train_step(make_train_step(model, tx, config, video_shape, lpips), state_sh, mesh)
    coords = put_global(make_grid(t, h, w), replicated(mesh))
    step_key = jax.jit(lambda: jax.random.key(config.seed + 1), out_shardings=replicated(mesh))()
    loader = make_loader(
        source,
        batch // procs,
        seed=config.seed,
        shard_index=jax.process_index(),
        shard_count=procs,
        cache_dir=config.data.cache_dir,
        start_step=start,
    )
    eval_ids = np.arange(min(int(config.train.eval_videos), num_videos))
    eval_targets = np.stack([_to_unit(source.load(int(i))) for i in eval_ids])
    writer = _Writer(workdir, is_main)
    pixels_per_step = batch * num_sampled(t * h * w, config.train.sample_frac)
    chunk = int(config.train.render_chunk)

    def latents_now(state):
        feats = None if features is None else jnp.asarray(features)
        return np.asarray(learned_latents(model, host_tree(state.params), feats))

    def check_finite(state, step):
        bad = int(state.notfinite)
        if bad:
            raise NonFiniteLossError(
                f"non-finite loss/gradients at step <= {step} ({bad} step(s) skipped); "
                f"the last good checkpoint in {store.directory} is intact. Lower optim.lr, "
                "set optim.grad_clip, or check the data for NaNs"
            )

    def save(state, step):
        check_finite(state, step)
        if step not in store.steps():  # e.g. a stop request on a checkpoint step
            store.save(step, state, latents_now(state), meta)

    def evaluate(state, step) -> dict:
        lat = latents_now(state)[eval_ids]
        pred = np.asarray(model.render_videos(host_tree(state.params), lat, video_shape, chunk))
        return {"eval/recon_psnr": float(_per_video_psnr(pred, eval_targets).mean())}

    progress = None
    if is_main and config.train.progress:
        from tqdm import tqdm

        progress = tqdm(total=total, initial=start, dynamic_ncols=True, desc="train")
    it = iter(loader)
    t_last, step_last, metrics = time.perf_counter(), start, {}
    step = start
    # A full disk while writing metrics or samples stops with the same one line as a checkpoint.
    with _disk_full_while_writing(store, lambda: step):
        try:
            for step in range(start + 1, total + 1):
                local = next(it)
                if features is not None:
                    local = {**local, "features": features[local["index"]]}
                state, m = step_fn(state, global_batch(local, mesh), coords, step_key)
                log_now = step % config.train.log_every == 0 or step == total
                # All processes must agree to stop; multi-host runs compare flags at log steps.
                stop_now = _any_process(bool(stop)) if log_now or procs == 1 else False
                if log_now or stop_now:
                    check_finite(state, step)
                    now = time.perf_counter()
                    rate = (step - step_last) / max(now - t_last, 1e-9)
                    t_last, step_last = now, step
                    metrics = {k: float(v) for k, v in m.items()}
                    metrics |= {
                        "perf/steps_per_s": rate,
                        "perf/pixels_per_s": rate * pixels_per_step,
                    }
                    writer.scalars(step, metrics)
                    if progress:
                        progress.set_postfix(
                            loss=f"{metrics['train/loss']:.4f}",
                            psnr=f"{metrics['train/psnr']:.2f}",
                            sps=f"{rate:.2f}",
                            pix_s=f"{rate * pixels_per_step:.3g}",
                        )
                if progress:
                    progress.update(1)
                if config.train.eval_every and step % config.train.eval_every == 0 and step < total:
                    ev = evaluate(state, step)
                    writer.scalars(step, ev)
                    msg = f"step {step}: reconstruction PSNR {ev['eval/recon_psnr']:.2f} dB"
                    progress.write(msg) if progress else log.info(msg)
                if (
                    config.train.sample_every
                    and step % config.train.sample_every == 0
                    and step < total
                ):
                    paths = _write_outputs(
                        config,
                        workdir,
                        model,
                        host_tree(state.params),
                        latents_now(state),
                        eval_targets,
                        video_shape,
                        tag=f"step{step}",
                    )
                    writer.image(step, "samples/reconstructions", paths["reconstructions"][2])
                if step % config.train.checkpoint_every == 0 and step < total:
                    save(state, step)
                if stop_now:
                    log.warning(
                        "stop requested (signal %s): checkpointing step %d", stop.signum, step
                    )
                    save(state, step)
                    store.close()
                    return {"stopped_at": step, **metrics}
            save(state, total)
            store.wait()
        finally:
            if progress:
                progress.close()
            store.wait()  # an in-flight async save (the last good state) completes even on error
        return _finish(
            config,
            workdir,
            model,
            state,
            latents_now(state),
            source,
            eval_targets,
            video_shape,
            writer,
            store,
            metrics,
        )


@contextlib.contextmanager
def _disk_full_while_writing(store: CheckpointStore, current_step):
    """Report a full disk met while writing metrics, samples or the summary like a failed
    checkpoint save: the step, the newest intact checkpoint, what to do."""
    try:
        yield
    except DiskFullError:
        raise
    except Exception as e:
        if not disk_full(e):
            raise
        what = getattr(e, "filename", None) or "metrics or samples"
        raise store.disk_full_error(f"writing {what} at step {current_step()} failed") from e


def _grow_from(prev_workdir, state, state_sh, source, tx):
    """Start a progressive stage from the previous stage's final weights."""
    from inrv_jax.checkpoint import load_trained
    from inrv_jax.train.progressive import grow_params
    from inrv_jax.train.state import TrainState

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


def _write_outputs(config, workdir, model, params, latents, targets, video_shape, tag=""):
    return write_samples(
        workdir / "samples",
        model,
        params,
        latents,
        targets,
        video_shape,
        num_samples=int(config.train.num_samples),
        seed=int(config.seed),
        chunk=int(config.train.render_chunk),
        tag=tag,
    )


def _finish(
    config,
    workdir,
    model,
    state,
    latents,
    source,
    eval_targets,
    video_shape,
    writer,
    store,
    metrics,
) -> dict:
    """Final reconstruction PSNR over the training videos, samples, summary JSON."""
    n = len(source)
    chunk = int(config.train.render_chunk)
    params = host_tree(state.params)
    psnrs = []
    per_batch = max(1, min(16, int(math.ceil(n / 4))))
    for s in range(0, n, per_batch):
        ids = range(s, min(s + per_batch, n))
        pred = np.asarray(model.render_videos(params, latents[s : ids.stop], video_shape, chunk))
        target = np.stack([_to_unit(source.load(i)) for i in ids])
        psnrs.append(_per_video_psnr(pred, target))
    psnr = np.concatenate(psnrs)
    final = {**metrics, "recon/psnr": float(psnr.mean()), "recon/psnr_min": float(psnr.min())}
    if jax.process_index() == 0:
        paths = _write_outputs(config, workdir, model, params, latents, eval_targets, video_shape)
        writer.image(
            int(config.train.steps), "samples/reconstructions", paths["reconstructions"][2]
        )
        writer.scalars(int(config.train.steps), {"recon/psnr": final["recon/psnr"]})
        summary = {
            "step": int(config.train.steps),
            "num_videos": n,
            **final,
            "recon/psnr_per_video": psnr.tolist(),
            "outputs": {k: [str(p) for p in v] for k, v in paths.items()},
        }
        (workdir / "summary.json").write_text(json.dumps(summary, indent=1))
    writer.close()
    store.close()
    return final
