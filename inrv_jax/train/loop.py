"""The trainer: data -> sharded steps -> logs, evals, samples and orbax checkpoints.

``train_and_evaluate(settings, workdir)`` is the whole run; the CLI and the launchers are thin
wrappers. The parts are built by ``train/run.py`` (``build_run``); this module runs the loop
over them. Starting on a workdir that has checkpoints resumes from the newest good one and
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

from inrv_jax.checkpoint import CheckpointStore
from inrv_jax.errors import DiskFullError, UserError, disk_full
from inrv_jax.metrics.image import psnr
from inrv_jax.pixels import to_unit_range
from inrv_jax.rendering import FromLatents, RenderSettings, render
from inrv_jax.settings import DistributedSettings, Settings, TrainSettings
from inrv_jax.sharding import any_process, global_batch, host_tree
from inrv_jax.train.outputs import write_samples
from inrv_jax.train.run import DataMismatchError, InitState, Run, build_run
from inrv_jax.train.step import learned_latents
from inrv_jax.train.workdir import StopRequest, WorkdirLock

__all__ = ["DataMismatchError", "NonFiniteLossError", "train_and_evaluate"]

log = logging.getLogger(__name__)


class NonFiniteLossError(UserError, FloatingPointError):
    """The loss or gradients went non-finite; the last good checkpoint is intact."""


def maybe_initialize_distributed(dist: DistributedSettings) -> None:
    """``jax.distributed.initialize`` when the config names a coordinator (multi-host).

    ``coordinator="auto"`` lets JAX detect the cluster (TPU pods, SLURM, Open MPI);
    ``"HOST:PORT"`` with ``num_processes``/``process_id`` sets it explicitly. CPU-only runs
    (tests, laptops) use gloo collectives.
    """
    if dist.coordinator is None or jax.distributed.is_initialized():
        return
    if dist.cpu_collectives:
        jax.config.update("jax_cpu_collectives_implementation", dist.cpu_collectives)
    if dist.coordinator == "auto":
        jax.distributed.initialize()
    else:
        jax.distributed.initialize(
            dist.coordinator, num_processes=dist.num_processes, process_id=dist.process_id
        )


def train_and_evaluate(settings: Settings, workdir, init_state: InitState | None = None) -> dict:
    """Train (or resume) a run in ``workdir`` and write its outputs.

    Args:
      settings: the run (``config.to_settings`` of a config file).
      init_state: how a fresh run (no checkpoint in ``workdir``) makes its first state from
        the freshly initialised one, ``(state, state_sh, source, tx) -> state``; e.g. a
        progressive stage starting from the previous stage (``progressive.GrowFrom``).

    Returns:
      Final metrics, including ``recon/psnr`` over the training videos; ``stopped_at`` when a
      stop was requested (SIGTERM/SIGINT) and the run checkpointed and returned early.
    """
    workdir = pathlib.Path(workdir)
    maybe_initialize_distributed(settings.distributed)
    workdir.mkdir(parents=True, exist_ok=True)
    # Multi-host: every process shares the workdir; process 0 owns the lock.
    lock = WorkdirLock(workdir) if jax.process_index() == 0 else contextlib.nullcontext()
    try:
        with lock, StopRequest() as stop:
            run = build_run(settings, workdir, init_state)
            return _train(run, stop)
    except DiskFullError:
        raise
    except OSError as e:  # before the loop (lock, skipped-video list, logs): nothing to lose yet
        if not disk_full(e):
            raise
        raise DiskFullError(
            f"disk full in workdir {workdir} ({e.strerror}) before training started; free space "
            "there, then run the same command again"
        ) from e


def _train(run: Run, stop) -> dict:
    """The loop over ``run``'s steps, then the final checkpoint and outputs."""
    cfg = run.train
    progress = _progress_bar(run, cfg)
    state, metrics, step = run.initial_state, {}, run.start
    clock = [time.perf_counter(), run.start]  # time and step of the last log line
    # A full disk while writing metrics or samples stops with the same one line as a checkpoint.
    with _disk_full_while_writing(run.store, lambda: step):
        try:
            for step in range(run.start + 1, cfg.steps + 1):
                state, m = run.step_fn(state, _next_batch(run), run.coords, run.step_key)
                log_now = step % cfg.log_every == 0 or step == cfg.steps
                # All processes must agree to stop; multi-host runs compare flags at log steps.
                stop_now = any_process(bool(stop)) if log_now or jax.process_count() == 1 else False
                if log_now or stop_now:
                    metrics = _log(run, state, step, m, clock, progress)
                if progress:
                    progress.update(1)
                _periodic(run, state, step, progress)
                if stop_now:
                    log.warning(
                        "stop requested (signal %s): checkpointing step %d", stop.signum, step
                    )
                    _save(run, state, step)
                    run.store.close()
                    return {"stopped_at": step, **metrics}
            _save(run, state, cfg.steps)
            run.store.wait()
        finally:
            if progress:
                progress.close()
            run.store.wait()  # an in-flight async save (the last good state) completes on error
        return _finish(run, state, metrics)


def _progress_bar(run: Run, train: TrainSettings):
    if not (run.is_main and train.progress):
        return None
    from tqdm import tqdm

    return tqdm(total=train.steps, initial=run.start, dynamic_ncols=True, desc="train")


def _next_batch(run: Run) -> dict:
    local = next(run.loader)
    if run.features is not None:
        local = {**local, "features": run.features[local["index"]]}
    return global_batch(local, run.mesh)


def _log(run: Run, state, step: int, m: dict, clock: list, progress) -> dict:
    """Metrics of this step plus throughput since the last log line, to TensorBoard/jsonl."""
    _check_finite(run, state, step)
    now = time.perf_counter()
    rate = (step - clock[1]) / max(now - clock[0], 1e-9)
    clock[:] = [now, step]
    metrics = {k: float(v) for k, v in m.items()}
    metrics |= {"perf/steps_per_s": rate, "perf/pixels_per_s": rate * run.pixels_per_step}
    run.writer.scalars(step, metrics)
    if progress:
        progress.set_postfix(
            loss=f"{metrics['train/loss']:.4f}",
            psnr=f"{metrics['train/psnr']:.2f}",
            sps=f"{rate:.2f}",
            pix_s=f"{rate * run.pixels_per_step:.3g}",
        )
    return metrics


def _periodic(run: Run, state, step: int, progress) -> None:
    """Evaluation, samples and checkpoints at their intervals (the last step has its own)."""
    cfg = run.train
    if step >= cfg.steps:
        return
    if cfg.eval_every and step % cfg.eval_every == 0:
        ev = _evaluate(run, state)
        run.writer.scalars(step, ev)
        msg = f"step {step}: reconstruction PSNR {ev['eval/recon_psnr']:.2f} dB"
        progress.write(msg) if progress else log.info(msg)
    if cfg.sample_every and step % cfg.sample_every == 0:
        params = host_tree(state.params)
        paths = _write_outputs(run, params, _latents(run, state), tag=f"step{step}")
        run.writer.image(step, "samples/reconstructions", paths["reconstructions"][2])
    if step % cfg.checkpoint_every == 0:
        _save(run, state, step)


def _latents(run: Run, state) -> np.ndarray:
    feats = None if run.features is None else jnp.asarray(run.features)
    return np.asarray(learned_latents(run.model, host_tree(state.params), feats))


def _check_finite(run: Run, state, step: int) -> None:
    bad = int(state.notfinite)
    if bad:
        raise NonFiniteLossError(
            f"non-finite loss/gradients at step <= {step} ({bad} step(s) skipped); "
            f"the last good checkpoint in {run.store.directory} is intact. Lower optim.lr, "
            "set optim.grad_clip, or check the data for NaNs"
        )


def _save(run: Run, state, step: int) -> None:
    _check_finite(run, state, step)
    if step not in run.store.steps():  # e.g. a stop request on a checkpoint step
        run.store.save(step, state, _latents(run, state), run.meta)


def _per_video_psnr(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    return np.asarray(psnr(jnp.asarray(pred), jnp.asarray(target)))


def _render(run: Run, params, latents) -> np.ndarray:
    chunk = RenderSettings(chunk=run.train.render_chunk)
    return render(FromLatents(run.model, params, latents), run.video_shape, chunk)


def _evaluate(run: Run, state) -> dict:
    pred = _render(run, host_tree(state.params), _latents(run, state)[run.eval_ids])
    return {"eval/recon_psnr": float(_per_video_psnr(pred, run.eval_targets).mean())}


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


def _write_outputs(run: Run, params, latents, tag=""):
    return write_samples(
        run.workdir / "samples",
        run.model,
        params,
        latents,
        run.eval_targets,
        run.video_shape,
        num_samples=run.train.num_samples,
        seed=run.seed,
        chunk=run.train.render_chunk,
        scale=run.train.picture_scale,
        tag=tag,
    )


def _finish(run: Run, state, metrics: dict) -> dict:
    """Final reconstruction PSNR over the training videos, samples, summary JSON."""
    n, steps = len(run.source), run.train.steps
    params, latents = host_tree(state.params), _latents(run, state)
    per_batch = max(1, min(16, int(math.ceil(n / 4))))
    psnrs = []
    for s in range(0, n, per_batch):
        ids = range(s, min(s + per_batch, n))
        target = np.stack([to_unit_range(run.source.load(i)) for i in ids])
        psnrs.append(_per_video_psnr(_render(run, params, latents[s : ids.stop]), target))
    psnr_all = np.concatenate(psnrs)
    final = {
        **metrics,
        "recon/psnr": float(psnr_all.mean()),
        "recon/psnr_min": float(psnr_all.min()),
    }
    if run.is_main:
        paths = _write_outputs(run, params, latents)
        run.writer.image(steps, "samples/reconstructions", paths["reconstructions"][2])
        run.writer.scalars(steps, {"recon/psnr": final["recon/psnr"]})
        summary = {
            "step": steps,
            "num_videos": n,
            **final,
            "recon/psnr_per_video": psnr_all.tolist(),
            "outputs": {k: [str(p) for p in v] for k, v in paths.items()},
        }
        (run.workdir / "summary.json").write_text(json.dumps(summary, indent=1))
    run.writer.close()
    run.store.close()
    return final
