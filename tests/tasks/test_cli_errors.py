"""Every command answers a user mistake with one line, `inrv COMMAND: error: ...`, and exit 2;
a bug keeps its traceback; `--debug` / INRV_DEBUG show the traceback of user errors too."""

import errno
import os
import pathlib
import subprocess
import sys

import jax
import numpy as np
import pytest

import inrv_jax.rendering
import inrv_jax.train.run
import inrv_jax.train.step
from inrv_jax.cli import main
from inrv_jax.errors import (
    DiskFullError,
    InputError,
    OutOfMemoryError,
    as_user_error,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
SMALL = f"{ROOT}/configs/shapes.py:small"

# (id, command line, text the error line must contain); {W}: the tiny trained workdir, {tmp}: a
# folder with the bad inputs (see `bad_inputs`).
CASES = [
    ("render-not-a-workdir", "render --workdir {tmp}/notawork --index 0 --out {tmp}/v.mp4",
     "{tmp}/notawork is not a training workdir"),
    ("render-no-checkpoint", "render --workdir {tmp}/empty --index 0 --out {tmp}/v.mp4",
     "no checkpoint in {tmp}/empty/checkpoints"),
    ("render-index", "render --workdir {W} --index 999 --out {tmp}/v.mp4", "--index 999"),
    ("render-latent-shape", "render --workdir {W} --latent {tmp}/z7.npy --out {tmp}/v.mp4",
     "--latent {tmp}/z7.npy has shape (7,)"),
    ("render-latent-missing", "render --workdir {W} --latent {tmp}/nope.npy --out {tmp}/v.mp4",
     "--latent {tmp}/nope.npy does not exist"),
    ("render-out-extension", "render --workdir {W} --index 0 --out {tmp}/v.avi",
     "--out {tmp}/v.avi must end in"),
    ("render-size", "render --workdir {W} --index 0 --size 3 --out {tmp}/v.mp4", "--size"),
    ("render-step", "render --workdir {W} --step 12345 --index 0 --out {tmp}/v.mp4",
     "no checkpoint for step 12345"),
    # 146 TiB: more than any address space, so it fails at once whatever the overcommit policy.
    ("render-out-of-memory",
     "render --workdir {W} --index 0 --frames 10 --size 2000000,2000000 --out {tmp}/big.npy",
     "out of memory (host memory: could not allocate 146 TiB); lower memory with a smaller --size"),
    ("render-scale-array", "render --workdir {W} --index 0 --scale 2 --out {tmp}/v.npy",
     "--scale sizes pictures (.mp4/.gif/.png) but {tmp}/v.npy is an array"),
    ("render-scale-and-size",
     "render --workdir {W} --index 0 --scale 2 --size 8,8 --out {tmp}/v.png",
     "--size and --scale both set the picture size"),
    ("generate-num", "generate --workdir {W} --num 0 --out {tmp}/g", "--num must be >= 1"),
    ("generate-scale", "generate --workdir {W} --scale 0 --out {tmp}/g",
     "--scale 0: give a whole number >= 1"),
    ("generate-not-a-workdir", "generate --workdir {tmp}/notawork --out {tmp}/g",
     "{tmp}/notawork is not a training workdir"),
    ("interpolate-index", "interpolate --workdir {W} --a 0 --b 99 --out {tmp}/i.gif",
     "training index 99 out of range"),
    ("interpolate-out-extension", "interpolate --workdir {W} --a 0 --b 1 --out {tmp}/i.avi",
     "--out {tmp}/i.avi must end in"),
    ("invert-mask-shape",
     "invert --workdir {W} --data shapes --num 1 --mask {tmp}/mask.npy --steps 1 --out {tmp}/i",
     "mask {tmp}/mask.npy has shape (3, 5, 5)"),
    ("invert-missing-data", "invert --workdir {W} --data {tmp}/no_videos --out {tmp}/i",
     "{tmp}/no_videos: no such"),
    ("evaluate-tasks", "evaluate --workdir {W} --tasks all,bogus", "--tasks: unknown ['bogus']"),
    ("evaluate-missing-heldout",
     "evaluate --workdir {W} --heldout {tmp}/no_videos --no-lpips --fvd-samples 0",
     "{tmp}/no_videos: no such"),
    ("evaluate-no-checkpoint", "evaluate --workdir {tmp}/empty",
     "no checkpoint in {tmp}/empty/checkpoints"),
    ("train-missing-data",
     "train --config {SMALL} --workdir {tmp}/t --config.data.spec={tmp}/no_videos",
     "{tmp}/no_videos: no such"),
    ("train-config-key", "train --config {SMALL} --workdir {tmp}/t --config.train.stepz=3",
     "unknown config key 'train.stepz'"),
    ("train-config-variant", "train --config {ROOT}/configs/shapes.py:tiny --workdir {tmp}/t",
     "got 'tiny'"),
    ("data-check-missing", "data check {tmp}/no_videos", "{tmp}/no_videos: no such"),
    ("fit-single-missing", "fit-single {tmp}/no_video.mp4 --steps 1", "{tmp}/no_video.mp4"),
    ("import-official-missing", "import-official {tmp}/nope.pth --workdir {tmp}/imp",
     "{tmp}/nope.pth: no such file"),
]  # fmt: skip


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad_inputs")
    (tmp / "notawork").mkdir()
    (tmp / "empty" / "checkpoints").mkdir(parents=True)
    np.save(tmp / "z7.npy", np.zeros(7, np.float32))
    np.save(tmp / "mask.npy", np.ones((3, 5, 5), bool))
    return tmp


def _fill(text: str, workdir, tmp) -> str:
    return text.format(W=workdir, tmp=tmp, SMALL=SMALL, ROOT=ROOT)


@pytest.mark.parametrize("argv,names", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_error_line_and_exit_2(argv, names, workdir, bad_inputs, capfd):
    code = main(_fill(argv, workdir, bad_inputs).split())
    out, err = capfd.readouterr()
    command = argv.split()[0]
    assert code == 2, err
    assert "Traceback" not in out + err
    assert err.strip().splitlines() == [err.strip()], err  # one line, nothing else
    assert err.startswith(f"inrv {command}: error: "), err
    assert _fill(names, workdir, bad_inputs) in err


def test_the_inrv_process_exits_2_with_one_line(workdir, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = ["render", "--workdir", str(workdir), "--index", "999", "--out", str(tmp_path / "v.mp4")]
    proc = subprocess.run(
        [sys.executable, "-m", "inrv_jax.cli", *argv],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "inrv render: error: --index 999: the checkpoint has 4 training videos (0..3)"
    ]


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_shows_the_traceback_of_a_user_error(how, workdir, tmp_path, capfd, monkeypatch):
    argv = ["render", "--workdir", str(workdir), "--index", "999", "--out", str(tmp_path / "v.mp4")]
    if how == "flag":
        argv.insert(0, "--debug")
    else:
        monkeypatch.setenv("INRV_DEBUG", "1")
    assert main(argv) == 2
    err = capfd.readouterr().err
    assert "Traceback" in err and "latent_of" in err
    assert err.strip().splitlines()[-1].startswith("inrv render: error: --index 999")


def test_a_bug_keeps_its_traceback(workdir, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(inrv_jax.rendering, "render", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        main(
            ["render", "--workdir", str(workdir), "--index", "0", "--out", str(tmp_path / "v.npy")]
        )


def test_train_out_of_memory_names_the_config_keys_that_lower_memory(tmp_path, capfd, monkeypatch):
    def step_that_does_not_fit(*args, **kwargs):
        def step(*a, **k):
            raise jax.errors.JaxRuntimeError(
                "RESOURCE_EXHAUSTED: Out of memory while trying to allocate 123456789 bytes."
            )

        return step

    monkeypatch.setattr(inrv_jax.train.step, "jit_train_step", step_that_does_not_fit)
    argv = ["train", "--config", SMALL, "--workdir", str(tmp_path), "--config.mesh.data=1",
            "--config.train.progress=false"]  # fmt: skip
    assert main(argv) == 2
    err = capfd.readouterr().err
    (line,) = [x for x in err.splitlines() if "error:" in x]
    assert line.startswith("inrv train: error: out of memory (XLA: could not allocate 123.5 MB)")
    for key in ("batch_size", "sample_frac", "remat", "render_chunk", "compute_dtype"):
        assert key in line
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "err,kind,text",
    [
        (OSError(errno.ENOSPC, "No space left on device"), DiskFullError, "disk full"),
        (ValueError('RESOURCE_EXHAUSTED: Error writing "x" in OCDBT database: Failed to write '
                    "19 bytes: No space left on device [os_error_code='28']"),
         DiskFullError, "disk full"),
        (jax.errors.JaxRuntimeError("RESOURCE_EXHAUSTED: Out of memory allocating 4398046511104 "
                                    "bytes."), OutOfMemoryError, "could not allocate 4.4 TB"),
        (jax.errors.JaxRuntimeError("INTERNAL: Error dispatching computation: Out of memory "
                                    "allocating 30720000000 bytes."), OutOfMemoryError, "30.7 GB"),
        (jax.errors.JaxRuntimeError("RESOURCE_EXHAUSTED: Failed to allocate request for 12.5GiB "
                                    "(13421772800B) on device ordinal 0"), OutOfMemoryError,
         "13.4 GB"),
        (MemoryError("Unable to allocate 146. TiB for an array with shape (10, 2000000, 2000000)"),
         OutOfMemoryError, "146 TiB"),
        (PermissionError(errno.EACCES, "Permission denied", "/ro/v.mp4"), InputError,
         "cannot access /ro/v.mp4"),
    ],
)  # fmt: skip
def test_environment_failures_are_user_errors(err, kind, text):
    user = as_user_error(err, ("--batch",))
    assert isinstance(user, kind) and text in str(user)


@pytest.mark.parametrize(
    "err", [RuntimeError("boom"), ValueError("bad shape"), FileNotFoundError(2, "x", "/a")]
)
def test_other_exceptions_are_bugs(err):
    assert as_user_error(err) is None
