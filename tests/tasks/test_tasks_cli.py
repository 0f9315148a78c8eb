"""Every task subcommand end to end on the tiny checkpoint, via ``inrv_jax.cli.main``."""

import json

import numpy as np
import pytest

from inrv_jax.cli import main


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
        main(
            [
                "render",
                "--workdir",
                str(workdir),
                "--index",
                "0",
                "--out",
                str(tmp_path / f"v{suffix}"),
            ]
        )
        assert (tmp_path / f"v{suffix}").stat().st_size > 0
    assert main(["render", "--workdir", str(workdir), "--index", "9", "--out", str(out)]) == 2
    assert "4 training videos" in capsys.readouterr().err


@pytest.mark.parametrize("mode", ["random", "random-interpolated"])
def test_generate(workdir, tmp_path, mode):
    out = tmp_path / mode
    args = ["generate", "--workdir", str(workdir), "--mode", mode, "--num", "3", "--out", str(out)]
    assert main([*args, "--frames", "6", "--size", "20,20"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "grid.gif", "grid.png", "latents.npy", "sample_000.mp4", "sample_001.mp4", "sample_002.mp4"
    ]  # fmt: skip
    assert np.load(out / "latents.npy").shape[0] == 3


def test_interpolate_by_index_manifest_path_and_external_video(workdir, tmp_path):
    out = tmp_path / "grid.gif"
    args = ["interpolate", "--workdir", str(workdir), "--steps", "3", "--invert-steps", "10"]
    # pair 1: training index -> training video by manifest path; pair 2: -> unseen built-in video
    assert main([*args, "--a", "0", "--b", "shapes/2", "--a", "1", "--b", "shapes#6",
                 "--out", str(out)]) == 0  # fmt: skip
    assert out.exists() and (tmp_path / "grid.png").exists()
    raw = tmp_path / "grid.npy"
    main([*args, "--a", "0", "--b", "3", "--method", "lerp", "--out", str(raw)])
    grid = np.load(raw)
    assert grid.shape[:2] == (1, 3)


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
    main(["render", "--workdir", str(workdir), "--index", "2", "--out", str(video)])
    out = tmp_path / "inv"
    assert main(["invert", "--workdir", str(workdir), "--data", str(video), "--init", "nearest",
                 "--pixels-per-step", "200", "--steps", "20", "--no-lpips", "--save-npy",
                 "--out", str(out)]) == 0  # fmt: skip
    report = json.loads((out / "metrics.json").read_text())
    assert report["per_video"][0]["path"] == str(video)
    assert report["mean"]["psnr"] > 25.0  # the nearest learned latent is the one that made it
    assert np.load(out / "recon" / "0000.npy").shape[0] == 4
