"""Every task subcommand end to end on the tiny checkpoint, via ``inrv_jax.cli.main``."""

import json

import numpy as np
import pytest
from PIL import Image

from inrv_jax.cli import main


def _png_shape(path):
    return np.asarray(Image.open(path)).shape


def test_render(workdir, trained, tmp_path, capsys):
    out = tmp_path / "v.npy"
    assert main(["render", "--workdir", str(workdir), "--index", "1", "--out", str(out)]) == 0
    video = np.load(out)
    assert video.dtype == np.float32 and video.shape == (*trained.video_shape, 3)
    z = tmp_path / "z.npy"
    np.save(z, trained.latents[1])
    hi = tmp_path / "hi.npy"
    main(["render", "--workdir", str(workdir), "--latent", str(z), "--frames", "7",
          "--size", "24,20", "--out", str(hi)])  # fmt: skip
    assert np.load(hi).shape == (7, 24, 20, 3)
    for suffix in (".mp4", ".gif", ".png"):
        main(["render", "--workdir", str(workdir), "--index", "0",
              "--out", str(tmp_path / f"v{suffix}")])  # fmt: skip
        assert (tmp_path / f"v{suffix}").stat().st_size > 0
    t, h, w = trained.video_shape  # pictures at 4x: the .png strip holds T frames of 4H x 4W
    assert _png_shape(tmp_path / "v.png") == (4 * h, t * (4 * w + 2) - 2, 3)
    assert "4x the training size" in capsys.readouterr().out
    main(["render", "--workdir", str(workdir), "--index", "0", "--scale", "2",
          "--out", str(tmp_path / "v2.png")])  # fmt: skip
    assert _png_shape(tmp_path / "v2.png") == (2 * h, t * (2 * w + 2) - 2, 3)
    assert main(["render", "--workdir", str(workdir), "--index", "9", "--out", str(out)]) == 2
    assert "4 training videos" in capsys.readouterr().err


@pytest.mark.parametrize("mode", ["random", "random-interpolated"])
def test_generate(workdir, tmp_path, mode):
    out = tmp_path / mode
    args = ["generate", "--workdir", str(workdir), "--mode", mode, "--num", "3", "--out", str(out)]
    assert main([*args, "--frames", "6", "--size", "20,20"]) == 0  # the size asked for: no tag
    assert sorted(p.name for p in out.iterdir()) == [
        "grid.gif", "grid.png", "latents.npy", "sample_000.mp4", "sample_001.mp4", "sample_002.mp4"
    ]  # fmt: skip
    assert np.load(out / "latents.npy").shape[0] == 3
    assert _png_shape(out / "grid.png") == (3 * 22 - 2, 6 * 22 - 2, 3)  # rows: samples


def test_generate_renders_pictures_at_4x_by_default(workdir, trained, tmp_path):
    out = tmp_path / "g"
    assert main(["generate", "--workdir", str(workdir), "--num", "2", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "grid_4x.gif", "grid_4x.png", "latents.npy", "sample_000_4x.mp4", "sample_001_4x.mp4"
    ]  # fmt: skip
    t, h, w = trained.video_shape
    assert _png_shape(out / "grid_4x.png") == (2 * (4 * h + 2) - 2, t * (4 * w + 2) - 2, 3)
    assert np.load(out / "latents.npy").shape == trained.latents[:2].shape


def test_interpolate_by_index_manifest_path_and_external_video(workdir, trained, tmp_path):
    out = tmp_path / "grid.gif"
    args = ["interpolate", "--workdir", str(workdir), "--steps", "3", "--invert-steps", "10"]
    # pair 1: training index -> training video by manifest path; pair 2: -> unseen built-in video
    assert main([*args, "--a", "0", "--b", "shapes/2", "--a", "1", "--b", "shapes#6",
                 "--out", str(out)]) == 0  # fmt: skip
    assert out.exists() and (tmp_path / "grid.png").exists()
    h, w = trained.video_shape[1:]  # 2 pairs x 3 steps of 4H x 4W tiles under a caption row
    rows, cols, _ = _png_shape(tmp_path / "grid.png")
    assert cols == 3 * (4 * w + 2) - 2 and rows - (2 * (4 * h + 2) - 2) >= 12
    raw = tmp_path / "grid.npy"
    main([*args, "--a", "0", "--b", "3", "--method", "lerp", "--out", str(raw)])
    grid = np.load(raw)
    assert grid.shape == (1, 3, *trained.video_shape, 3)  # arrays keep the training size


def test_invert_with_task_and_user_mask(workdir, trained, tmp_path):
    out = tmp_path / "inv"
    args = ["invert", "--workdir", str(workdir), "--data", "shapes", "--first", "4", "--num", "2",
            "--steps", "10", "--batch", "2"]  # fmt: skip
    assert main([*args, "--task", "inpainting", "--render-frames", "6", "--out", str(out)]) == 0
    report = json.loads((out / "metrics.json").read_text())
    assert report["task"] == "inpainting"
    assert [v["path"] for v in report["per_video"]] == ["shapes/4", "shapes/5"]
    for key in ("psnr", "ssim", "lpips", "psnr_unobserved", "ssim_unobserved", "lpips_unobserved"):
        assert isinstance(report["mean"][key], float), key
    assert (out / "recon" / "0001.mp4").exists() and (out / "recon" / "0001_6x16x16.mp4").exists()
    assert (out / "compare.gif").exists() and np.load(out / "latents.npy").shape[0] == 2
    # compare.png: 2 rows (videos) of 3 columns at 4x the 16x16 frames, all T frames side by side.
    compare = np.asarray(Image.open(out / "compare.png"))
    t = trained.video_shape[0]
    assert compare.shape[1] == t * (3 * 64 + 2 * 2) and compare.shape[0] > 2 * 64
    mask = np.zeros(trained.video_shape, bool)
    mask[0] = True
    np.save(tmp_path / "mask.npy", mask)
    out2 = tmp_path / "inv2"
    main([*args, "--mask", str(tmp_path / "mask.npy"), "--no-lpips", "--out", str(out2)])
    report = json.loads((out2 / "metrics.json").read_text())
    assert report["task"] == "mask" and report["mean"]["lpips"] is None


def test_evaluate(workdir, tmp_path):
    out = tmp_path / "eval"
    assert main(["evaluate", "--workdir", str(workdir), "--heldout-num", "2", "--steps", "10",
                 "--fvd-samples", "0", "--tasks", "all,prediction,super-resolution",
                 "--out", str(out)]) == 0  # fmt: skip
    report = json.loads((out / "eval.json").read_text())
    assert report["reconstruction"]["num_videos"] == 4
    assert set(report["tasks"]) == {"all", "prediction", "super-resolution"}
    assert report["heldout"]["paths"] == ["shapes/4", "shapes/5"]
    assert report["fvd"]["value"] is None
    table = (out / "eval.md").read_text()
    assert "| future prediction (first 2 frames), 2 held-out |" in table


def test_invert_a_video_file_with_nearest_init_and_pixel_subsampling(workdir, tmp_path):
    video = tmp_path / "clip.mp4"
    # --scale 1: the clip at the training size, so inverting it needs no resize
    main(["render", "--workdir", str(workdir), "--index", "2", "--scale", "1", "--out", str(video)])
    out = tmp_path / "inv"
    assert main(["invert", "--workdir", str(workdir), "--data", str(video), "--init", "nearest",
                 "--pixels-per-step", "200", "--steps", "20", "--no-lpips", "--save-npy",
                 "--out", str(out)]) == 0  # fmt: skip
    report = json.loads((out / "metrics.json").read_text())
    assert report["per_video"][0]["path"] == str(video)
    assert report["mean"]["psnr"] > 25.0  # the nearest learned latent is the one that made it
    assert np.load(out / "recon" / "0000.npy").shape[0] == 4
