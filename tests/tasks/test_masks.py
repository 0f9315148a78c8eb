"""Task masks: the official observation sets, index conventions, user masks."""

import numpy as np
import pytest

from inrv_jax.tasks import masks

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
