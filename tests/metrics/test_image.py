"""PSNR / SSIM against closed forms and scikit-image."""

import jax
import numpy as np
import pytest
from skimage.metrics import structural_similarity

from inrv_jax.metrics.image import psnr, ssim


def _pair(shape=(2, 3, 24, 28, 3), noise=0.2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, shape).astype(np.float32)
    y = np.clip(x + noise * rng.normal(size=shape), -1, 1).astype(np.float32)
    return x, y


def test_psnr_of_known_mse():
    x = np.zeros((2, 4, 8, 8, 3), np.float32)
    y = x + np.array([0.1, 0.5], np.float32)[:, None, None, None, None]  # MSE 0.01, 0.25
    expected = 10 * np.log10(4.0 / np.array([0.01, 0.25]))
    np.testing.assert_allclose(jax.jit(psnr)(x, y), expected, rtol=1e-5)


def test_psnr_averages_frames_not_pixels():
    x = np.zeros((1, 2, 4, 4, 3), np.float32)
    y = x.copy()
    y[0, 0] += 0.1
    y[0, 1] += 0.2
    expected = np.mean(10 * np.log10(4.0 / np.array([0.01, 0.04])))
    np.testing.assert_allclose(psnr(x, y), [expected], rtol=1e-5)


def test_psnr_identical_is_inf():
    x, _ = _pair()
    assert np.all(np.isinf(psnr(x, x)))


def test_masked_psnr_ignores_unmasked_corruption():
    x, y = _pair()
    mask = np.zeros(x.shape[:4], bool)
    mask[:, :, : x.shape[2] // 2] = True  # top half counts
    corrupted = y.copy()
    corrupted[:, :, x.shape[2] // 2 :] = 1.0 - corrupted[:, :, x.shape[2] // 2 :]
    np.testing.assert_allclose(psnr(x, corrupted, mask=mask), psnr(x, y, mask=mask), rtol=1e-6)
    assert np.all(np.asarray(psnr(x, corrupted)) < np.asarray(psnr(x, y)) - 1.0)
    # Same number as the MSE over the masked pixels computed by hand.
    half = slice(0, x.shape[2] // 2)
    mse = np.mean((x[:, :, half] - y[:, :, half]) ** 2, axis=(2, 3, 4))
    np.testing.assert_allclose(
        psnr(x, y, mask=mask), np.mean(10 * np.log10(4 / mse), axis=1), rtol=1e-5
    )


def test_masked_metrics_skip_frames_without_pixels():
    x, y = _pair(shape=(1, 3, 16, 16, 3))
    mask = np.zeros((3, 16, 16), bool)  # broadcast over the batch
    mask[1:] = True
    y2 = y.copy()
    y2[:, 0] = -x[:, 0]  # frame 0 is unobserved: must not count
    np.testing.assert_allclose(psnr(x, y2, mask=mask), psnr(x[:, 1:], y[:, 1:]), rtol=1e-6)
    np.testing.assert_allclose(ssim(x, y2, mask=mask), ssim(x[:, 1:], y[:, 1:]), rtol=1e-6)
    assert np.isnan(psnr(x, y, mask=np.zeros((3, 16, 16), bool))).all()


def test_ssim_identical_is_one():
    x, _ = _pair()
    np.testing.assert_allclose(jax.jit(ssim)(x, x), 1.0, atol=1e-6)


def test_ssim_matches_scikit_image():
    x, y = _pair()
    ref = [
        np.mean(
            [
                structural_similarity(
                    (x[b, t] + 1) / 2,
                    (y[b, t] + 1) / 2,
                    data_range=1.0,
                    gaussian_weights=True,
                    sigma=1.5,
                    use_sample_covariance=False,
                    channel_axis=-1,
                )
                for t in range(x.shape[1])
            ]
        )
        for b in range(x.shape[0])
    ]
    np.testing.assert_allclose(ssim(x, y), ref, atol=2e-5)
    full = np.ones(x.shape[:4], bool)
    np.testing.assert_allclose(ssim(x, y, mask=full), ref, atol=2e-5)


def test_masked_ssim_ignores_unmasked_corruption():
    x, y = _pair(shape=(1, 2, 40, 32, 3))
    mask = np.zeros(x.shape[:4], bool)
    mask[:, :, :20] = True
    corrupted = y.copy()
    corrupted[:, :, 26:] = -corrupted[:, :, 26:]  # beyond the 11x11 windows of masked pixels
    np.testing.assert_allclose(ssim(x, corrupted, mask=mask), ssim(x, y, mask=mask), rtol=1e-6)


@pytest.mark.parametrize(
    ("fn", "x", "y", "match"),
    [
        (psnr, np.zeros((1, 2, 8, 8, 3)), np.zeros((1, 2, 8, 9, 3)), "same shape"),
        (psnr, np.zeros((2, 8, 8, 3)), np.zeros((2, 8, 8, 3)), r"\[B, T, H, W, 3\]"),
        (ssim, np.zeros((1, 2, 8, 8, 3)), np.zeros((1, 2, 8, 8, 3)), "at least 11x11"),
    ],
)
def test_bad_inputs(fn, x, y, match):
    with pytest.raises(ValueError, match=match):
        fn(x.astype(np.float32), y.astype(np.float32))


def test_bad_mask_shape():
    x, y = _pair()
    with pytest.raises(ValueError, match="does not broadcast"):
        psnr(x, y, mask=np.ones((5, 5), bool))
