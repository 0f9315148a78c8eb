"""``inrv train-encoder`` on the tiny model: the loss falls, a continued run equals an
uninterrupted one, ``--init encoder`` with 0 steps is the encoder's latents rendered, and the
command lines end to end (with the one-line error when the workdir has no encoder)."""

import json
import shutil

import jax
import numpy as np
import pytest

from inrv_jax.cli import main
from inrv_jax.encoder import load_encoder
from inrv_jax.tasks.invert import run_task
from inrv_jax.tasks.render import render_latents
from inrv_jax.tasks.train_encoder import Settings, mask_bank, train_workdir

SETTINGS = Settings(steps=20, batch=4, pixels=256, lr=3e-3, log_every=10)


@pytest.fixture
def copy(workdir, tmp_path):
    """Copies of the shared tiny workdir: the encoders written here stay out of other tests."""

    def make(name):
        path = tmp_path / name
        shutil.copytree(workdir, path)
        return path

    return make


def test_mask_bank_covers_every_task_equally():
    bank, names = mask_bank((4, 16, 16))
    assert bank.shape == (len(names), 4, 16, 16)
    counts = {n: names.count(n) for n in set(names)}
    assert len(set(counts.values())) == 1 and "prediction" in counts and "sparse" in counts
    # prediction rows: first k frames for k = 1, 2, 3
    pred = bank[[i for i, n in enumerate(names) if n == "prediction"]]
    assert sorted({int(m.reshape(4, -1).max(1).sum()) for m in pred}) == [1, 2, 3]
    assert set(np.unique(bank)) <= {0.0, 1.0}


def test_training_lowers_the_loss_and_continues_exactly(copy, trained):
    whole = train_workdir(copy("whole"), Settings(**{**SETTINGS.__dict__, "steps": 40}), log=None)
    # 40 steps lower the loss by ~10 % (0.2827 -> 0.2557 on one machine, less on another): the
    # bound asks for a 3 % drop, which holds with margin on any machine.
    assert whole.meta["eval_after"]["loss"] < 0.97 * whole.meta["eval_before"]["loss"]
    assert whole.meta["eval_after"]["render"] < whole.meta["eval_before"]["render"]
    assert whole.meta["model_step"] == trained.step and whole.meta["steps"] == 40
    path = copy("resumed")
    train_workdir(path, SETTINGS, log=None)
    resumed = train_workdir(path, SETTINGS, log=None)
    assert resumed.meta["steps"] == 40
    assert [r["step"] for r in resumed.meta["records"]] == [10, 20, 30, 40]
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
        load_encoder(path).arrays["params"],
        whole.arrays["params"],
    )


def test_init_encoder_with_zero_steps_is_the_encoders_latents_rendered(copy, trained):
    enc = train_workdir(copy("k0"), SETTINGS, log=None)
    videos = np.asarray(jax.random.uniform(jax.random.key(3), (3, *trained.video_shape, 3)) * 2 - 1)
    res = run_task(trained, videos, "inpainting", init="encoder", steps=0, encoder=enc)
    z = enc.encode(res.prepared.observed, res.prepared.weights)
    np.testing.assert_array_equal(res.latents, z)
    assert res.losses.shape == (0, 3)
    np.testing.assert_allclose(
        res.recon, render_latents(trained, z, trained.video_shape), atol=1e-6
    )
    assert np.abs(z - z[:1]).max() > 0  # the latents depend on the videos


def test_cli_train_encoder_then_invert(copy, tmp_path, capsys):
    wd = str(copy("cli"))
    args = ["invert", "--workdir", wd, "--data", "shapes", "--num", "2", "--no-lpips",
            "--task", "prediction", "--future-frames", "2"]  # fmt: skip
    assert main([*args, "--init", "encoder", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"`inrv train-encoder --workdir {wd}`" in err
    assert main(["train-encoder", "--workdir", wd, "--steps", "6", "--batch", "2",
                 "--pixels", "128"]) == 0  # fmt: skip
    assert "trained the encoder to step 6" in capsys.readouterr().out
    meta = json.loads((tmp_path / "cli" / "encoder" / "meta.json").read_text())
    assert meta["steps"] == 6 and meta["settings"]["batch"] == 2
    out = tmp_path / "inv"
    assert main([*args, "--init", "encoder", "--steps", "0", "--refine", "3",
                 "--refine-params", "biases", "--out", str(out)]) == 0  # fmt: skip
    report = json.loads((out / "metrics.json").read_text())
    assert report["settings"]["init"] == "encoder" and report["settings"]["refine_steps"] == 3
    assert report["mean"]["psnr_unobserved"] > 0 and (out / "compare.png").is_file()
