"""``inrv fit-prior`` and ``inrv generate --mode prior[:KIND]`` end to end on the tiny model."""

import argparse
import json
import shutil

import numpy as np
import pytest

from inrv_jax.cli import main
from inrv_jax.tasks.generate import generate


@pytest.fixture
def own_workdir(workdir, tmp_path):
    """A copy of the shared tiny workdir: the priors written here stay out of other tests."""
    path = tmp_path / "run"
    shutil.copytree(workdir, path)
    return path


def test_generate_without_a_fitted_prior_names_fit_prior(own_workdir, trained, tmp_path, capsys):
    args = ["generate", "--workdir", str(own_workdir), "--num", "2", "--out", str(tmp_path / "g")]
    assert main([*args, "--mode", "prior:flow"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0  # one line
    assert f"fit one with `inrv fit-prior --workdir {own_workdir} --kind flow`" in err
    assert main([*args, "--mode", "prior"]) == 2
    assert "`inrv fit-prior --workdir" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # not a kind: argparse refuses it
        main([*args, "--mode", "prior:vae"])
    with pytest.raises(ValueError, match="pass the model's workdir"):
        generate(trained, "prior:gmm", 2)


def test_fit_prior_then_generate(own_workdir, trained, tmp_path, capsys):
    wd = str(own_workdir)
    assert main(["fit-prior", "--workdir", wd, "--kind", "gmm", "--components", "2"]) == 0
    assert main(["fit-prior", "--workdir", wd, "--kind", "flow", "--steps", "30",
                 "--hidden", "16", "--sample-steps", "4", "--seed", "3"]) == 0  # fmt: skip
    assert "fitted a flow prior on 4 latents of step 30" in capsys.readouterr().out
    meta = json.loads((own_workdir / "priors" / "flow" / "meta.json").read_text())
    assert meta["step"] == trained.step and meta["seed"] == 3
    assert meta["options"]["sample_steps"] == 4 and meta["final_loss"] > 0
    assert len(meta["latent_mean"]) == trained.latents.shape[1]
    outs = {}
    for mode in ("prior:flow", "prior"):  # prior = the first fitted in KINDS order: gmm
        out = tmp_path / mode.replace(":", "_")
        args = ["generate", "--workdir", wd, "--mode", mode, "--num", "3", "--out", str(out)]
        assert main([*args, "--frames", "4", "--size", "8,8", "--seed", "5"]) == 0
        outs[mode] = np.load(out / "latents.npy")
        assert (out / "grid.png").is_file() and outs[mode].shape == (3, trained.latents.shape[1])
    z, videos = generate(trained, "prior:gmm", 3, seed=5, workdir=own_workdir)
    np.testing.assert_array_equal(z, outs["prior"])
    z, videos = generate(trained, "prior:flow", 3, seed=5, workdir=own_workdir)
    np.testing.assert_array_equal(z, outs["prior:flow"])
    assert videos.shape == (3, *trained.video_shape, 3)


def test_prior_kinds_spelled_for_the_command_lines_are_the_librarys_own():
    from inrv_jax.cli import command_parser
    from inrv_jax.commands.arguments import PRIOR_KINDS, generation_mode
    from inrv_jax.prior import KINDS

    assert PRIOR_KINDS == tuple(KINDS)
    kind = next(a for a in command_parser("fit-prior")._actions if a.dest == "kind")
    assert tuple(kind.choices) == tuple(KINDS)
    for mode in ("random", "random-interpolated", "prior", *(f"prior:{k}" for k in KINDS)):
        assert generation_mode(mode) == mode
    for bad in ("gmm", "prior:", "prior:vae"):
        with pytest.raises(argparse.ArgumentTypeError, match="choose one of random"):
            generation_mode(bad)
