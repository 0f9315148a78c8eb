"""Tasks read a workdir while a live run writes it: only complete checkpoints, no lock taken."""

import fcntl
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from inrv_jax.checkpoint import CheckpointStore, local_abstract_state
from inrv_jax.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
TRAIN_STEPS = 3000
# The suite's compilation cache (tests/conftest.py), so the run starts in seconds after the first.
COMPILE_CACHE = {
    "JAX_COMPILATION_CACHE_DIR": str(ROOT / ".jax_cache"),
    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
    "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
}


def _lock_is_held(workdir: pathlib.Path) -> bool:
    with open(workdir / ".lock", "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False


def test_render_while_a_live_run_writes_checkpoints(tmp_path, caplog):
    work = tmp_path / "live"
    log = open(tmp_path / "trainer.log", "w")  # noqa: SIM115 - the run's stderr, read on failure
    # A checkpoint every 2 steps and only the newest kept: each save removes the step a reader
    # may be reading (it must then read the new one, never a half-deleted or half-written one).
    # No wall-clock deadline: the reads must finish while the run lives, and the run ends by
    # itself after TRAIN_STEPS (~1,500 checkpoints), however fast or slow the machine is.
    trainer = subprocess.Popen(
        [sys.executable, "-m", "inrv_jax.cli", "train",
         "--config", f"{ROOT}/configs/shapes.py:small", "--workdir", str(work),
         f"--config.train.steps={TRAIN_STEPS}", "--config.train.checkpoint_every=2",
         "--config.train.keep_checkpoints=1", "--config.train.log_every=100",
         "--config.train.eval_every=0", "--config.train.progress=false", "--config.mesh.data=1"],
        env={**os.environ, "PYTHONPATH": str(ROOT), **COMPILE_CACHE},
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip

    def trainer_log():
        return (tmp_path / "trainer.log").read_text()

    seen = []
    try:
        while not CheckpointStore(work, read_only=True).steps():
            assert trainer.poll() is None, (
                f"the run stopped before its first checkpoint:\n{trainer_log()}"
            )
            time.sleep(0.2)
        while len(seen) < 8 or len(set(seen)) < 4:  # many reads of many steps
            assert trainer.poll() is None, (
                f"the run ended with only steps {seen} read:\n{trainer_log()}"
            )
            assert _lock_is_held(work)  # the run is live; readers never need its lock
            out = tmp_path / f"frame{len(seen)}.npy"
            assert main(["render", "--workdir", str(work), "--index", "1", "--out", str(out)]) == 0
            assert np.isfinite(np.load(out)).all()
            # The three items of what was read come from one complete step.
            store = CheckpointStore(work, read_only=True)
            step, state, latents, _ = store.restore_latest_good(local_abstract_state)
            store.close()
            assert int(state.step) == step
            np.testing.assert_array_equal(latents, np.asarray(state.params["codes"]["embedding"]))
            seen.append(step)
    finally:
        trainer.send_signal(signal.SIGTERM)  # checkpoints and stops
        try:
            trainer.wait(timeout=60)
        except subprocess.TimeoutExpired:
            trainer.kill()
            pytest.fail("the training run did not stop on SIGTERM")
        log.close()
    assert trainer.returncode == 0, trainer_log()
    assert seen == sorted(seen), seen  # each read is the newest complete step or a later one
    assert "corrupt or partial" not in caplog.text
