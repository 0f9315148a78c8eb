"""Progressive weight initialization: growth keeps old codes and weights; resume by stage."""

import json

import jax
import numpy as np
import pytest

import inrv_jax.train.progressive as progressive
from inrv_jax.checkpoint import load_trained
from inrv_jax.settings import replace
from inrv_jax.train.progressive import resolve_stages, train_progressive

from helpers import tiny_settings


def test_resolve_stages():
    assert resolve_stages((10, 100, -1), 5, 50) == [(10, 5), (50, 5)]
    assert resolve_stages((2, 4), (3, 7), 4) == [(2, 3), (4, 7)]
    with pytest.raises(ValueError, match="stage_steps"):
        resolve_stages((2, 4), (3,), 4)


def _progressive_config():
    return tiny_settings(
        **{
            "train.stages": (2, 4),
            "train.stage_steps": 3,
            "train.checkpoint_every": 2,
            "data.num_videos": 4,
        }
    )


def test_growth_2_to_4_keeps_old_codes_and_weights(tmp_path, monkeypatch):
    captured = {}
    real_grow = progressive.start_from_previous

    def spy(prev, state, state_sh, source, tx):
        new = real_grow(prev, state, state_sh, source, tx)
        captured["start"] = jax.tree.map(np.asarray, new.params)
        captured["fresh"] = jax.tree.map(np.asarray, state.params)
        return new

    monkeypatch.setattr(progressive, "start_from_previous", spy)
    train_progressive(_progressive_config(), tmp_path)
    stage0 = load_trained(tmp_path / "stage_0_2videos")
    start = captured["start"]
    # Old codes copied, new codes fresh, hypernetwork weights carried over exactly.
    np.testing.assert_array_equal(
        start["codes"]["embedding"][:2], stage0.params["codes"]["embedding"]
    )
    np.testing.assert_array_equal(
        start["codes"]["embedding"][2:], captured["fresh"]["codes"]["embedding"][2:]
    )
    for a, b in zip(
        jax.tree.leaves(start["hypernet"]), jax.tree.leaves(stage0.params["hypernet"]), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    stage1 = load_trained(tmp_path / "stage_1_4videos")
    assert stage1.latents.shape == (4, 64) and stage1.meta["num_videos"] == 4


def test_interrupted_progressive_run_resumes_at_the_right_stage_and_step(tmp_path, monkeypatch):
    config = _progressive_config()
    calls = []
    real = progressive.train_and_evaluate

    def interrupted(cfg, workdir, init_state=None):
        calls.append((workdir.name, init_state and init_state.prev_workdir.name))
        if workdir.name == "stage_1_4videos" and len(calls) == 2:
            # "killed" after step 2 of stage 1: checkpoint at 2 exists
            cfg = replace(cfg, {"train.steps": 2})
            real(cfg, workdir, init_state)
            (workdir / "summary.json").unlink()  # a killed run never wrote its summary
            return {"stopped_at": 2}
        return real(cfg, workdir, init_state)

    monkeypatch.setattr(progressive, "train_and_evaluate", interrupted)
    assert train_progressive(config, tmp_path) == {"stopped_at": 2}
    final = train_progressive(config, tmp_path)  # the same command again
    assert calls == [
        ("stage_0_2videos", None),
        ("stage_1_4videos", "stage_0_2videos"),
        ("stage_1_4videos", "stage_0_2videos"),
    ]
    rows = [
        json.loads(x)
        for x in (tmp_path / "stage_1_4videos" / "metrics.jsonl").read_text().splitlines()
    ]
    steps = [r["step"] for r in rows if "train/loss" in r]
    assert steps == [1, 2, 3], "stage 1 resumed at step 3, not from scratch"
    assert np.isfinite(final["recon/psnr"])
