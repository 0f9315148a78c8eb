"""A disk that fills while orbax saves a checkpoint: one line, the earlier checkpoint intact, the
partial folder removed on the next start, and the resumed run equal to an uninterrupted one."""

import errno
import json
import pathlib
import re
import shutil

import numpy as np
import pytest
from orbax.checkpoint._src.serialization import serialization

import inrv_jax.checkpoint as ckpt
from inrv_jax.checkpoint import CheckpointStore, load_trained
from inrv_jax.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _train(workdir) -> int:
    return main(
        ["train", "--config", f"{ROOT}/configs/shapes.py:small", "--workdir", str(workdir),
         "--config.train.steps=6", "--config.train.checkpoint_every=3", "--config.train.log_every=1",
         "--config.train.eval_every=0", "--config.train.progress=false", "--config.mesh.data=1"]
    )  # fmt: skip


def _losses(workdir) -> dict:
    rows = [json.loads(x) for x in (workdir / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["train/loss"] for r in rows if "train/loss" in r}


def _fill_disk_at_step(monkeypatch, step: int) -> None:
    """Every array write of checkpoint ``step`` fails with ENOSPC inside orbax's background save,
    where tensorstore's writes would fail on a full disk."""
    real = serialization.async_serialize_from_host

    async def write(value, tspec, *args, **kwargs):
        if f"/{step}.orbax-checkpoint-tmp/" in str(tspec):
            raise OSError(errno.ENOSPC, "No space left on device")
        return await real(value, tspec, *args, **kwargs)

    monkeypatch.setattr(serialization, "async_serialize_from_host", write)


def test_full_disk_during_a_save_stops_cleanly_and_resumes_exactly(
    tmp_path, monkeypatch, capfd, caplog
):
    full = tmp_path / "full"
    assert _train(full) == 0
    capfd.readouterr()

    run = tmp_path / "run"
    with monkeypatch.context() as m:
        _fill_disk_at_step(m, 6)
        assert _train(run) == 2
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "Event loop is closed" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"inrv train: error: disk full in workdir {run}: ")
    assert "saving the checkpoint of step 6 failed" in line
    assert "the newest intact checkpoint is step 3 and nothing else was lost" in line
    assert "one checkpoint needs" in line and "resume from step 3" in line
    assert CheckpointStore(run, read_only=True).steps() == [3]
    assert load_trained(run).step == 3  # intact
    (partial,) = (run / "checkpoints").glob("6.orbax-checkpoint-tmp*")

    caplog.clear()
    assert _train(run) == 0  # space is back: resume from step 3
    assert f"removed {partial}" in caplog.text
    assert not partial.exists()
    assert CheckpointStore(run, read_only=True).steps() == [3, 6]
    a, b = _losses(full), _losses(run)
    assert sorted(a) == sorted(b) == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose([b[k] for k in sorted(b)], [a[k] for k in sorted(a)], rtol=1e-6)
    np.testing.assert_allclose(load_trained(run).latents, load_trained(full).latents, rtol=1e-6)


@pytest.mark.parametrize("checkpoints", [0, 1])
def test_full_disk_before_a_save_names_the_space_it_needs(tmp_path, monkeypatch, checkpoints):
    """The save is not started when the disk cannot hold one more checkpoint."""
    store = CheckpointStore(tmp_path, async_save=False)
    state = {"w": np.random.default_rng(0).normal(size=(1000, 250)).astype(np.float32)}  # 1 MB
    meta = {"x": 1}
    if checkpoints:
        store.save(3, state, np.zeros((2, 4), np.float32), meta)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(ckpt.shutil, "disk_usage", lambda p: usage._replace(free=500_000))
    with pytest.raises(ckpt.DiskFullError) as err:
        store.save(6, state, np.zeros((2, 4), np.float32), meta)
    text = str(err.value)
    assert "saving the checkpoint of step 6 was not started" in text
    # ~1 MB: the state's bytes before any checkpoint, the newest checkpoint's blocks after.
    assert re.search(r"one checkpoint needs (9\d\d\.\d KB|1\.\d MB), 500\.0 KB free", text), text
    if checkpoints:
        assert "the newest intact checkpoint is step 3" in text
    else:
        assert "no checkpoint was saved yet" in text
    assert not list((tmp_path / "checkpoints").glob("6*"))
    store.close()
