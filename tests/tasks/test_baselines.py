"""Model-free baselines: exact on cases with a known answer, blind to unobserved pixels."""

import jax
import numpy as np
import pytest

from inrv_jax.errors import InputError
from inrv_jax.inr import INRSpec
from inrv_jax.masks import TASKS
from inrv_jax.tasks.baselines import nearest_training_index, run_baselines
from inrv_jax.tasks.fit_single import fit_videos
from inrv_jax.tasks.invert import prepare

B, T, H, W = 2, 5, 16, 16


def _ramp(h=H, w=W, a=0.4, b=-0.3, c=0.1):
    """f32[h, w, 3] colours linear in (y, x) in [-1, 1], a different plane per channel."""
    y, x = np.meshgrid(np.linspace(-1, 1, h), np.linspace(-1, 1, w), indexing="ij")
    return np.stack([a * y + b * x, b * y + c, c * x - a * y], -1).astype(np.float32)


def _linear_in_time(seed=0):
    """f32[B, T, H, W, 3] = start + t * step per pixel, within [-1, 1]."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(-0.5, 0.5, (B, 1, H, W, 3))
    step = rng.uniform(-0.1, 0.1, (B, 1, H, W, 3))
    return (start + np.arange(T)[None, :, None, None, None] * step).astype(np.float32)


@pytest.mark.parametrize("task", ["frame-interpolation", "temporal"])
def test_blend_reproduces_a_video_linear_in_time(task):
    videos = _linear_in_time()
    res = run_baselines(videos, task, names=["blend"])["blend"]
    np.testing.assert_allclose(res.recon, videos, atol=1e-6)  # T = 5: no frame extrapolated
    assert (res.metrics["psnr_unobserved"] > 100).all()


def test_blend_repeats_the_end_frames_and_repeat_last_holds_the_last_frame():
    videos = _linear_in_time()
    temporal = run_baselines(videos[:, :4], "temporal", names=["blend"])[
        "blend"
    ].recon  # frame 3 is after frame 2
    np.testing.assert_array_equal(temporal[:, 3], videos[:, 2])
    constant = np.repeat(videos[:, :1], T, axis=1)
    last = ["repeat-last"]
    res = run_baselines(constant, "prediction", future_frames=2, names=last)["repeat-last"]
    np.testing.assert_array_equal(res.recon, constant)
    moving = run_baselines(videos, "prediction", future_frames=2, names=last)["repeat-last"].recon
    np.testing.assert_array_equal(moving[:, 2:], np.repeat(videos[:, 1:2], T - 2, axis=1))


def test_bicubic_upsampling_of_smooth_images():
    ramp = np.broadcast_to(_ramp(32, 32), (1, 3, 32, 32, 3))
    up = run_baselines(ramp, "super-resolution", names=["bicubic"])["bicubic"].recon
    # Inside, the task's antialiased downsample of a plane is the plane, and bicubic
    # reproduces planes; the border rows see the truncated (renormalised) filters.
    np.testing.assert_allclose(up[:, :, 6:-6, 6:-6], ramp[:, :, 6:-6, 6:-6], atol=1e-5)
    assert np.abs(up - ramp).max() < 0.03
    y, x = np.meshgrid(np.linspace(-1, 1, 32), np.linspace(-1, 1, 32), indexing="ij")
    quad = np.broadcast_to((0.4 * y**2 - 0.3 * x * y + 0.2 * x)[..., None], (1, 3, 32, 32, 3))
    up = run_baselines(quad, "super-resolution", names=["bicubic"])["bicubic"].recon
    assert np.abs(up - quad)[:, :, 4:-4, 4:-4].max() < 0.005 and np.abs(up - quad).max() < 0.06


def test_nearest_training_video_finds_the_noisy_copy():
    rng = np.random.default_rng(1)
    train = rng.uniform(-1, 1, (11, T, H, W, 3)).astype(np.float32)  # > one chunk of 8
    held = train[[9, 3]] + rng.normal(0, 0.2, (B, T, H, W, 3)).astype(np.float32)
    prepared = prepare(held, "sparse", seed=4)
    idx = nearest_training_index(prepared.observed, prepared.weights, train)
    np.testing.assert_array_equal(idx, [9, 3])
    res = run_baselines(held, "inpainting", train_videos=train, names=["nearest-training"])
    res = res["nearest-training"]
    np.testing.assert_array_equal(res.recon, train[[9, 3]])


def test_nearest_pixel_fill_is_exact_on_vertical_stripes():
    frame = np.zeros((H, W, 3), np.float32)
    frame[:, : W // 3] = [1, -1, 0]
    frame[:, W // 3 :] = [-0.5, 0.5, 0.25]
    videos = np.broadcast_to(frame, (B, T, H, W, 3))
    # The top half is observed: the nearest observed pixel is straight above, same stripe.
    res = run_baselines(videos, "inpainting", names=["nearest-pixel"])["nearest-pixel"]
    np.testing.assert_array_equal(res.recon, videos)


def test_biharmonic_fill_is_exact_on_a_linear_ramp():
    videos = np.broadcast_to(_ramp(), (B, T, H, W, 3))
    res = run_baselines(videos, "box", names=["biharmonic"])["biharmonic"]  # the centre quarter
    np.testing.assert_allclose(res.recon, videos, atol=1e-6)


@pytest.mark.parametrize("task", [n for n, t in TASKS.items() if t.unobserved == "hidden"])
def test_baselines_never_see_unobserved_pixels(task):
    rng = np.random.default_rng(2)
    videos = rng.uniform(-1, 1, (B, T, H, W, 3)).astype(np.float32)
    train = rng.uniform(-1, 1, (3, T, H, W, 3)).astype(np.float32)
    options = {"mask": (rng.random((T, H, W)) < 0.5).astype(np.float32)} if task == "mask" else {}
    hidden = prepare(videos, task, seed=3, **options).unobserved
    assert hidden.any()
    poisoned = np.where(hidden[..., None], np.nan, videos)
    tiny = INRSpec(hidden=16, depth=2, num_freqs=2)  # fit-single: one chunk of steps
    kw = {"train_videos": train, "seed": 3, "seconds": 0.0, "inr_spec": tiny, **options}
    clean = run_baselines(videos, task, **kw)
    dirty = run_baselines(poisoned, task, **kw)
    assert set(clean) == set(TASKS[task].baselines)
    for name in clean:
        np.testing.assert_array_equal(clean[name].recon, dirty[name].recon, err_msg=name)


def test_single_inr_fits_are_independent_and_honour_the_budget():
    videos = _linear_in_time()
    spec = INRSpec(hidden=16, depth=2, num_freqs=2)
    both, curve = fit_videos(videos, spec, steps=4, eval_every=2)
    alone, _ = fit_videos(videos[:1], spec, steps=4, eval_every=0)
    assert [c["step"] for c in curve] == [2, 4]
    for a, b in zip(_leaves(alone), _leaves(both), strict=True):
        np.testing.assert_allclose(a[0], b[0], atol=1e-5)  # only chunking (sum order) differs
    _, curve = fit_videos(videos, spec, steps=100, seconds=0.0, eval_every=0)
    assert [c["step"] for c in curve] == [1]  # out of time after the first step
    res = run_baselines(videos, "all", train_videos=videos, seconds=0.0, inr_spec=spec)
    assert res["fit-single"].recon.shape == videos.shape
    assert np.isinf(res["nearest-training"].metrics["psnr"]).all()  # the videos themselves


def _leaves(tree):
    return [np.asarray(x) for x in jax.tree.leaves(tree)]


def test_bad_baseline_requests_name_the_fix():
    videos = _linear_in_time()
    with pytest.raises(InputError, match="needs train_videos"):
        run_baselines(videos, "inpainting")
    with pytest.raises(InputError, match="needs seconds"):
        run_baselines(videos, "all", names=["fit-single"])
    with pytest.raises(InputError, match="unknown baseline 'cubic'"):
        run_baselines(videos, "inpainting", names=["cubic"])
    with pytest.raises(InputError, match="fully observed frame"):
        run_baselines(videos, "inpainting", names=["blend"])
    with pytest.raises(InputError, match="use 'bicubic'"):
        run_baselines(videos, "super-resolution", names=["nearest-pixel"])
    with pytest.raises(InputError, match="every pixel observed"):
        run_baselines(videos, "inpainting", names=["bicubic"])
