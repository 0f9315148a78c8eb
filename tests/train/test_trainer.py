"""Trainer behaviour: resume reproduces, NaN stops cleanly, live workdir refused, corrupt
checkpoint falls back, configs validate and every config's small variant runs a step."""

import json
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import inrv_jax.train.loop as loop
import inrv_jax.train.run
from inrv_jax.checkpoint import CheckpointStore, load_trained
from inrv_jax.config import ConfigError, apply_overrides, load_config, to_settings, validate
from inrv_jax.settings import replace
from inrv_jax.train.loop import NonFiniteLossError, train_and_evaluate
from inrv_jax.train.workdir import WorkdirInUseError

from helpers import tiny_config, tiny_settings

CONFIGS = sorted((pathlib.Path(__file__).parents[2] / "configs").glob("*.py"))


def _small_variant_groups() -> list[list[pathlib.Path]]:
    """Configs grouped by identical small variants (e.g. every list-file config's small variant is
    the official recipe on sample_clips): one step of each distinct config covers its group."""
    groups: dict[str, list[pathlib.Path]] = {}
    for path in CONFIGS:
        key = json.dumps(load_config(f"{path}:small").to_dict(), sort_keys=True, default=str)
        groups.setdefault(key, []).append(path)
    return list(groups.values())


def _losses(workdir):
    rows = [json.loads(x) for x in (workdir / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["train/loss"] for r in rows if "train/loss" in r}


class _StopAfter:
    """Stands in for StopRequest: 'a signal arrives' once `n` steps have been logged."""

    def __init__(self, workdir, n):
        self.workdir, self.n, self.signum = workdir, n, 15

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def __bool__(self):
        path = self.workdir / "metrics.jsonl"
        return path.exists() and len(path.read_text().splitlines()) >= self.n


def test_interrupted_run_resumes_to_the_same_losses(tmp_path, monkeypatch):
    config = tiny_settings(**{"train.sample_frac": 0.5})
    full = tmp_path / "full"
    train_and_evaluate(config, full)
    part = tmp_path / "part"
    with monkeypatch.context() as m:
        m.setattr(loop, "StopRequest", lambda: _StopAfter(part, 2))
        out = train_and_evaluate(config, part)
    # The signal arrives during step 3, which is also a checkpoint step (saved once).
    assert out["stopped_at"] == 3
    assert CheckpointStore(part, create=False).steps() == [3]
    train_and_evaluate(config, part)  # resumes at step 4
    a, b = _losses(full), _losses(part)
    assert sorted(a) == sorted(b) == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose([b[k] for k in sorted(b)], [a[k] for k in sorted(a)], rtol=1e-6)
    np.testing.assert_allclose(load_trained(part).latents, load_trained(full).latents, rtol=1e-6)


def test_injected_nan_stops_with_clear_error_and_last_good_checkpoint(tmp_path, monkeypatch):
    real = inrv_jax.train.run.make_loader

    def poisoned(*args, **kwargs):
        for i, batch in enumerate(real(*args, **kwargs), start=kwargs.get("start_step", 0) + 1):
            if i == 5:
                batch = {**batch, "video": np.full_like(batch["video"], np.nan)}
            yield batch

    monkeypatch.setattr(inrv_jax.train.run, "make_loader", poisoned)
    with pytest.raises(NonFiniteLossError, match="last good checkpoint"):
        train_and_evaluate(tiny_settings(), tmp_path)
    assert CheckpointStore(tmp_path, create=False).steps() == [3]
    good = load_trained(tmp_path)
    assert good.step == 3
    assert all(np.isfinite(np.asarray(x)).all() for x in __import__("jax").tree.leaves(good.params))


def test_second_run_on_live_workdir_is_refused(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from inrv_jax.train.workdir import WorkdirLock
            with WorkdirLock({str(tmp_path)!r}):
                print("locked", flush=True)
                time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(WorkdirInUseError, match=f"pid {holder.pid}"):
            train_and_evaluate(tiny_settings(), tmp_path)
    finally:
        holder.kill()
        holder.wait()


def test_truncated_latest_checkpoint_falls_back_to_previous(tmp_path, caplog):
    config = tiny_settings()
    train_and_evaluate(config, tmp_path)
    assert CheckpointStore(tmp_path, create=False).steps() == [3, 6]
    for f in (tmp_path / "checkpoints" / "6" / "state").rglob("d/*"):
        f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    assert load_trained(tmp_path).step == 3
    assert "corrupt or partial" in caplog.text
    # Resuming moves the corrupt one aside (kept) and continues from step 3.
    train_and_evaluate(replace(config, {"train.steps": 7}), tmp_path)
    assert CheckpointStore(tmp_path, create=False).steps()[-1] == 7
    assert list((tmp_path / "corrupt_checkpoints").iterdir())


def test_resume_on_different_data_is_refused(tmp_path):
    train_and_evaluate(tiny_settings(), tmp_path)
    with pytest.raises(loop.DataMismatchError, match="different videos"):
        train_and_evaluate(tiny_settings(**{"data.seed": 1, "train.steps": 8}), tmp_path)


def test_invalid_config_values_name_the_key():
    c = tiny_config()
    with pytest.raises(ConfigError, match="unknown config key 'train.stepz'"):
        apply_overrides(c, ["train.stepz=3"])
    with pytest.raises(ConfigError, match="train.steps"):
        apply_overrides(c, ["train.steps=abc"])
    c.loss.lpips_weight, c.train.sample_frac = 0.7, 0.5
    with pytest.raises(ConfigError, match="loss.lpips_weight"):
        validate(c)
    c = tiny_config(**{"model.inr.kind": "gelu"})
    with pytest.raises(ConfigError, match="model.inr.kind"):
        validate(c)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config("configs/nope.py")


@pytest.mark.parametrize(
    "group", _small_variant_groups(), ids=lambda g: "+".join(p.stem for p in g)
)
def test_every_config_small_variant_runs_one_step(group, tmp_path):
    overrides = ["train.steps=1", "train.num_samples=1", "optim.warmup_steps=0"]
    overrides.append("train.picture_scale=1")  # pictures at the training size, named so
    config = load_config(f"{group[0]}:small", overrides + ["mesh.data=1", "mesh.model=1"])
    config.train.progress = False
    out = train_and_evaluate(to_settings(config), tmp_path)
    assert np.isfinite(out["train/loss"]) and np.isfinite(out["recon/psnr"])
    assert (tmp_path / "samples" / "reconstructions.png").exists()


def test_atari_wide_batch_variant_keeps_the_fast_recipes_pixels_per_step():
    fast, wide = load_config("configs/atari.py"), load_config("configs/atari.py:wide_batch")
    pixels = [c.train.batch_size * c.train.sample_frac for c in (fast, wide)]
    assert pixels[0] == pixels[1] and wide.train.batch_size == 8 * fast.train.batch_size
    assert wide.data.num_videos == fast.data.num_videos == 512
    assert wide.optim.code_lr_mult > 1 and wide.train.chunk_rows >= 64 * 512  # one chunk a step
    with pytest.raises(ValueError, match="'small', 'wide_batch', 'joint_encoder'"):
        load_config("configs/atari.py:nope")


def test_atari_joint_encoder_variant_is_wide_batch_with_an_encoder():
    wide, joint = (
        load_config("configs/atari.py:wide_batch"),
        load_config("configs/atari.py:joint_encoder"),
    )
    assert joint.model.encoder.kind == "video" and wide.model.encoder.kind == "off"
    joint.model.encoder = wide.model.encoder
    assert joint.to_dict() == wide.to_dict()
