"""Task masks: the official observation sets, index conventions, user masks."""

import subprocess
import sys

import numpy as np
import pytest

from inrv_jax import masks
from inrv_jax.tasks.baselines import BASELINES

SHAPE = (8, 10, 12)


def test_official_observation_sets():
    t, h, w = SHAPE
    inp = masks.make_mask("inpainting", SHAPE)
    assert inp[:, : h // 2].all() and not inp[:, h // 2 :].any()
    pred = masks.make_mask("prediction", SHAPE)
    assert pred[:4].all() and not pred[4:].any()
    assert masks.make_mask("prediction", SHAPE, future_frames=2)[:2].all()
    fi = masks.make_mask("frame-interpolation", SHAPE)
    assert fi[[0, t - 1]].all() and not fi[1 : t - 1].any()
    tmp = masks.make_mask("temporal", SHAPE)
    assert tmp[::2].all() and not tmp[1::2].any()
    assert masks.make_mask("all", SHAPE).all()
    box = masks.make_mask("box", SHAPE, box=(1, 3, 2, 5, 0, 4))
    assert not box[1:3, 2:5, 0:4].any() and box.sum() == box.size - 2 * 3 * 4


def test_sparse_draws_with_replacement():
    shape = (25, 100, 100)
    m = masks.make_mask("sparse", shape, seed=3)
    n = 25 * 100 * 100
    assert m.sum() == round(0.25 * n)  # draws, repeats counted
    unique = (m > 0).mean()
    assert 0.21 < unique < 0.23  # 1 - exp(-0.25) ≈ 22%
    assert not np.array_equal(m, masks.make_mask("sparse", shape, seed=4))


def test_indices_follow_official_flattening():
    t, h, w = SHAPE
    i = 3 * h * w + 7 * w + 5
    m = masks.weights_from_indices([i, i, 0], SHAPE)
    assert m[3, 7, 5] == 2 and m[0, 0, 0] == 1 and m.sum() == 3
    np.testing.assert_array_equal(np.sort(masks.indices_from_weights(m)), [0, i, i])


def test_user_masks(tmp_path):
    t, h, w = SHAPE
    b = np.zeros(SHAPE, bool)
    b[2, 3, 4] = True
    np.save(tmp_path / "bool.npy", b)
    np.testing.assert_array_equal(masks.load_mask(tmp_path / "bool.npy", SHAPE), b)
    np.save(tmp_path / "idx.npy", np.array([2 * h * w + 3 * w + 4]))
    np.testing.assert_array_equal(masks.load_mask(tmp_path / "idx.npy", SHAPE), b)


@pytest.mark.parametrize(
    "array, match",
    [
        (np.zeros((2, 2, 2), bool), "has shape"),
        (np.array([0, 10_000]), "must lie in"),
        (np.array([0.5]), "integers"),
        (np.zeros((2, 2)), "expected"),
    ],
)
def test_bad_user_masks(tmp_path, array, match):
    np.save(tmp_path / "m.npy", array)
    with pytest.raises(masks.MaskError, match=match):
        masks.load_mask(tmp_path / "m.npy", SHAPE)


def test_bad_mask_arguments(tmp_path):
    with pytest.raises(masks.MaskError, match="npy"):
        masks.load_mask(tmp_path / "m.txt", SHAPE)
    with pytest.raises(masks.MaskError, match="does not exist"):
        masks.load_mask(tmp_path / "none.npy", SHAPE)
    with pytest.raises(masks.MaskError, match="unknown task"):
        masks.make_mask("nope", SHAPE)
    with pytest.raises(masks.MaskError, match="0 < k < T"):
        masks.make_mask("prediction", SHAPE, future_frames=8)


def test_registry_entries_build_their_masks():
    assert tuple(masks.TASKS) == (
        "all", "inpainting", "prediction", "frame-interpolation", "temporal", "sparse", "box",
        "super-resolution", "mask",
    )  # fmt: skip
    assert masks.HELDOUT_TASKS == (
        "all", "inpainting", "prediction", "frame-interpolation", "temporal", "sparse",
        "super-resolution",
    )  # fmt: skip
    user = np.zeros(SHAPE, np.float32)
    user[0] = 1
    for name, task in masks.TASKS.items():
        assert task.name == name
        m = masks.make_mask(name, SHAPE, mask=user)
        assert m.shape == SHAPE and m.dtype == np.float32 and (m > 0).any(), name
        assert (m > 0).all() == (task.unobserved in ("none", "every")), name
    np.testing.assert_array_equal(masks.make_mask("mask", SHAPE, mask=user), user)
    sr = masks.TASKS["super-resolution"]
    assert sr.observed_size((10, 12), masks.TaskOptions()) == (5, 6)
    assert sr.observed_size((10, 12), masks.TaskOptions(low_size=(3, 4))) == (3, 4)


def test_registry_titles_and_heldout_options():
    tasks = masks.TASKS
    assert (
        tasks["prediction"].describe({"future_frames": 2}) == "future prediction (first 2 frames)"
    )
    assert tasks["prediction"].describe({}) == "future prediction (first 4 frames)"
    assert tasks["sparse"].describe({}) == "sparse inpainting (25% draws)"
    assert tasks["all"].describe({}) == "inversion"
    assert tasks["prediction"].heldout_options(4) == {"future_frames": 2}
    assert tasks["prediction"].heldout_options(16) == {"future_frames": 4}
    assert tasks["inpainting"].heldout_options(4) == {}


def test_registry_rejects_inconsistent_entries_and_user_task_needs_its_mask():
    with pytest.raises(ValueError, match="another grid"):
        masks.Task("x", "x", masks.TASKS["all"].mask, observed_size=lambda size, opts: size)
    with pytest.raises(ValueError, match="unobserved"):
        masks.Task("x", "x", masks.TASKS["all"].mask, unobserved="some")
    with pytest.raises(masks.MaskError, match="needs a mask"):
        masks.make_mask("mask", SHAPE)
    with pytest.raises(masks.MaskError, match="has shape"):
        masks.make_mask("mask", SHAPE, mask=np.ones((2, 2, 2)))


def test_every_task_names_existing_baselines():
    for name, task in masks.TASKS.items():
        assert task.baselines, name
        assert set(task.baselines) <= set(BASELINES), (name, task.baselines)
    assert masks.TASKS["prediction"].baselines == ("repeat-last", "fit-single")
    assert masks.TASKS["all"].baselines == ("nearest-training", "fit-single")
    assert masks.TASKS["super-resolution"].baselines == ("bicubic", "fit-single")
    # The per-video INR without the latent space is a baseline of every held-out task.
    assert all("fit-single" in masks.TASKS[t].baselines for t in masks.HELDOUT_TASKS)


def test_masks_imports_numpy_only():
    # The command lines read the task names (and their baselines' names) without jax.
    code = "import sys, inrv_jax.masks; sys.exit('jax' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
