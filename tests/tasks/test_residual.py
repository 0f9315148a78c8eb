"""INR-V as a residual on a linear baseline (tasks.residual): exact where INR-V is exact, an
error INR-V makes on every frame alike cancels, nothing hidden is read, and it runs through
run_task, the choice of methods and `inrv invert --residual`."""

import json

import numpy as np
import pytest

from inrv_jax.cli import main
from inrv_jax.errors import InputError
from inrv_jax.masks import get_task
from inrv_jax.tasks.baselines import BASELINES, Context
from inrv_jax.tasks.choose import candidate_grid, choose
from inrv_jax.tasks.invert import run_task
from inrv_jax.tasks.prepare import prepare
from inrv_jax.tasks.residual import check_residual, on_baseline, residual_baselines
from inrv_jax.tasks.videos import heldout_videos

CASES = [  # (task, linear baseline)
    ("prediction", "repeat-last"),
    ("frame-interpolation", "blend"),
    ("inpainting", "biharmonic"),
    ("inpainting", "nearest-pixel"),
    ("super-resolution", "bicubic"),
]


def _videos(seed=0, shape=(2, 8, 16, 16, 3)):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def _compose(task, name, recon, videos, weight=1.0):
    options = get_task(task).heldout_options(videos.shape[1])
    prepared = prepare(videos, task, seed=3, **options)
    out = on_baseline(name, recon, prepared, task, seed=3, weight=weight, **options)
    return out, prepared


@pytest.mark.parametrize("task,name", CASES)
def test_an_exact_reconstruction_stays_exact(task, name):
    videos = _videos()
    out, _ = _compose(task, name, videos, videos)
    np.testing.assert_allclose(out, videos, atol=2e-5)


@pytest.mark.parametrize("task,name", CASES[:3])
def test_an_error_the_same_on_every_frame_cancels(task, name):
    videos = _videos()
    # INR-V off by a per-pixel pattern that does not change in time (a background rendered a
    # little wrong everywhere): the residual removes it on the hidden pixels.
    offset = 0.2 * _videos(1, (2, 1, 16, 16, 3))
    if task == "inpainting":  # an error the same on every pixel: biharmonic fills it exactly
        offset = np.full(offset.shape, 0.2, np.float32)
    recon = videos + offset
    out, prepared = _compose(task, name, recon, videos)
    hidden = prepared.unobserved
    assert np.abs(recon - videos)[hidden].max() > 0.05  # the plain reconstruction is off
    assert np.abs(out - videos)[hidden].max() < 1e-4


@pytest.mark.parametrize("task,name", CASES)
def test_hidden_pixels_of_the_videos_are_never_read(task, name):
    videos = _videos()
    prepared = prepare(videos, task, seed=3, **get_task(task).heldout_options(8))
    other = np.where(prepared.unobserved[..., None], _videos(5), videos)
    if task == "super-resolution":  # every pixel is "hidden": only the low grid is seen
        other = videos
    recon = _videos(2)
    a, _ = _compose(task, name, recon, videos)
    b, _ = _compose(task, name, recon, other)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("task,name", CASES[:2])
def test_a_weight_shrinks_the_departure_towards_the_baseline(task, name):
    videos, recon = _videos(), _videos(2)
    whole, prepared = _compose(task, name, recon, videos)
    half, _ = _compose(task, name, recon, videos, weight=0.5)
    base = BASELINES[name].fn(prepared.observed, prepared.weights, videos.shape[1:4], Context())
    np.testing.assert_allclose(half, base + 0.5 * (whole - base), atol=1e-5)
    assert np.abs(half - whole)[prepared.unobserved].max() > 0.05  # the weight moved something
    for bad in (0.0, 1.5, -0.5):
        with pytest.raises(InputError, match=f"residual weight {bad!r} is outside"):
            _compose(task, name, recon, videos, weight=bad)


def test_only_a_linear_baseline_of_the_task_is_accepted():
    assert residual_baselines("prediction") == ("repeat-last",)
    assert residual_baselines("all") == ()
    check_residual("", "all")
    with pytest.raises(InputError, match="not a linear baseline of task 'prediction'"):
        check_residual("blend", "prediction")
    with pytest.raises(InputError, match="nearest-training"):
        check_residual("nearest-training", "inpainting")


def test_run_task_and_the_choice_apply_the_residual(trained):
    videos, _ = heldout_videos(trained, 2)
    opts = get_task("prediction").heldout_options(videos.shape[1])
    plain = run_task(trained, videos, "prediction", steps=3, pixels_per_step=256, **opts)
    res = run_task(trained, videos, "prediction", steps=3, pixels_per_step=256,
                   residual="repeat-last", **opts)  # fmt: skip
    expected = on_baseline("repeat-last", plain.recon, plain.prepared, "prediction", **opts)
    np.testing.assert_allclose(res.recon, expected, atol=1e-6)
    assert res.residual_seconds > 0 and res.method_seconds > res.seconds
    half = run_task(trained, videos, "prediction", steps=3, pixels_per_step=256,
                    residual="repeat-last", residual_weight=0.5, **opts)  # fmt: skip
    expected = on_baseline("repeat-last", plain.recon, plain.prepared, "prediction", weight=0.5,
                           **opts)  # fmt: skip
    np.testing.assert_allclose(half.recon, expected, atol=1e-6)
    with pytest.raises(InputError, match="a residual weight needs a residual baseline"):
        run_task(trained, videos, "prediction", steps=3, residual_weight=0.5, **opts)
    grid = candidate_grid(inits=("mean",), steps=(3,), refine_steps=(0,), residuals=("", "linear"),
                          residual_weights=(0.5, 1.0))  # fmt: skip
    choice = choose(trained, videos, ["prediction", "all"], grid, pixels_per_step=256,
                    log=lambda *_: None)  # fmt: skip
    names = [s["name"] for s in choice["tasks"]["prediction"]["scores"]]
    assert names == ["mean+3", "mean+3, residual on repeat-last x0.5",
                     "mean+3, residual on repeat-last"]  # fmt: skip
    scores = {s["name"]: s["score"] for s in choice["tasks"]["prediction"]["scores"]}
    assert scores["mean+3, residual on repeat-last x0.5"] == pytest.approx(
        half.summary["psnr_unobserved"], abs=1e-4
    )
    scores = {s["name"]: s["score"] for s in choice["tasks"]["prediction"]["scores"]}
    assert scores["mean+3, residual on repeat-last"] == pytest.approx(
        res.summary["psnr_unobserved"], abs=1e-4
    )
    assert [s["name"] for s in choice["tasks"]["all"]["scores"]] == ["mean+3"]  # no linear one


def test_invert_cli_residual(workdir, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["invert", "--workdir", str(workdir), "--data", "shapes", "--num", "2",
            "--task", "frame-interpolation", "--steps", "2", "--no-lpips", "--out", str(out)]  # fmt: skip
    assert main([*args, "--residual", "blend"]) == 0
    report = json.loads((out / "metrics.json").read_text())
    assert report["settings"]["residual"] == "blend"
    assert main([*args, "--residual", "repeat-last"]) == 2
    assert "not a linear baseline of task 'frame-interpolation'" in capsys.readouterr().err
    assert main([*args, "--residual", "blend", "--residual-weight", "0.5"]) == 0
    report = json.loads((out / "metrics.json").read_text())
    assert report["settings"]["residual_weight"] == 0.5
    assert main([*args, "--residual", "blend", "--residual-weight", "0"]) == 2
    assert "residual weight 0.0 is outside (0, 1]" in capsys.readouterr().err
