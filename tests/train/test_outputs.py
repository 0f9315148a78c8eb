"""The trainer's pictures: rendered at 4x, named so, ground truth beside them upsampled nearest."""

import jax
import numpy as np
from PIL import Image

from inrv_jax.model import make_model
from inrv_jax.pixels import to_uint8
from inrv_jax.rendering import FromLatents, RenderSettings, render
from inrv_jax.train.outputs import write_samples

from helpers import blob_videos, tiny_settings


def _png(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_write_samples_renders_pictures_at_4x_beside_the_nearest_upsampled_targets(tmp_path):
    model = make_model(tiny_settings().model, 2)
    params = model.init(jax.random.key(0))
    latents = np.asarray(jax.random.normal(jax.random.key(1), (2, 64)), np.float32)
    targets = blob_videos(2, 2, 16, 16)  # f32[K=2, T=2, 16, 16, 3]
    # 2 samples: the same compiled render (2 latents at 2x64x64) as the reconstructions
    paths = write_samples(tmp_path, model, params, latents, targets, (2, 16, 16),
                          num_samples=2, seed=0, chunk=1 << 12)  # fmt: skip
    assert {k: [p.name for p in v] for k, v in paths.items()} == {
        k: [f"{name}_4x.{e}" for e in ("mp4", "gif", "png")]
        for k, name in [("reconstructions", "reconstructions"), ("interpolation", "interpolation")]
    } | {"samples": [f"sample_{i:02d}_4x.{e}" for i in range(2) for e in ("mp4", "gif", "png")]}
    assert all(p.stat().st_size > 0 for v in paths.values() for p in v)

    grid = _png(tmp_path / "reconstructions_4x.png")  # first frame; rows = videos
    top = grid.shape[0] - (2 * 66 - 2)  # caption rows above two 64-pixel rows, 2-pixel gaps
    assert top >= 12 and grid.shape[1:] == (2 * 66 - 2, 3)  # two 64-pixel columns: 4 x 16
    target_up = to_uint8(np.repeat(np.repeat(targets[:, 0], 4, axis=1), 4, axis=2))
    rendered = to_uint8(
        render(FromLatents(model, params, latents), (2, 64, 64), RenderSettings(1 << 12))
    )
    for i in range(2):
        rows = grid[top + 66 * i : top + 66 * i + 64]
        np.testing.assert_array_equal(rows[:, :64], target_up[i])  # exactly the data's pixels
        np.testing.assert_array_equal(rows[:, 66:], rendered[i, 0])
    assert _png(tmp_path / "sample_00_4x.png").shape == (64, 2 * 66 - 2, 3)  # frames in a row
    assert _png(tmp_path / "interpolation_4x.png").shape == (64, 6 * 66 - 2, 3)  # 1 pair, 6 steps


def test_write_samples_at_scale_1_keeps_the_training_size_and_the_old_names(tmp_path):
    model = make_model(tiny_settings().model, 2)
    params = model.init(jax.random.key(0))
    latents = np.asarray(jax.random.normal(jax.random.key(1), (2, 64)), np.float32)
    paths = write_samples(tmp_path, model, params, latents, blob_videos(1, 4, 16, 16),
                          (4, 16, 16), num_samples=1, seed=0, chunk=1 << 12, tag="step3",
                          scale=1)  # fmt: skip
    assert paths["reconstructions"][2].name == "reconstructions_step3.png"
    assert _png(tmp_path / "sample_00_step3.png").shape == (16, 4 * 18 - 2, 3)
