"""`inrv train` end to end on a tiny config, and its clear errors."""

import json

from inrv_jax.cli import main


def test_inrv_train_end_to_end(tmp_path, capsys):
    code = main(
        ["train", "--config", "configs/shapes.py:small", "--workdir", str(tmp_path),
         "--config.train.steps=4", "--config.train.progress=false", "--config.mesh.data=1"]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "reconstruction PSNR over the training videos" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["step"] == 4 and len(summary["recon/psnr_per_video"]) == 4
    for name in ("reconstructions_4x", "interpolation_4x", "sample_00_4x"):
        for ext in ("mp4", "gif", "png"):
            path = tmp_path / "samples" / f"{name}.{ext}"
            assert path.stat().st_size > 0, path
    assert list((tmp_path / "tb").iterdir()), "TensorBoard events written"


def test_inrv_train_bad_video_names_the_file(tmp_path, capsys):
    bad = tmp_path / "videos"
    bad.mkdir()
    (bad / "clip.mp4").write_bytes(b"definitely not an mp4")
    code = main(["train", "--config", "configs/shapes.py:small", "--workdir", str(tmp_path / "w"),
                 f"--config.data.spec={bad}"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "clip.mp4" in err and "Fix:" in err


def test_inrv_train_skips_bad_videos_when_configured(tmp_path):
    import av
    import numpy as np

    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "bad.mp4").write_bytes(b"not a video")
    for i in range(4):
        with av.open(str(videos / f"good{i}.mp4"), "w") as c:
            s = c.add_stream("libx264", rate=8)
            s.width = s.height = 16
            s.pix_fmt = "yuv420p"
            for t in range(6):
                frame = np.full((16, 16, 3), 40 * i + 10 * t, np.uint8)
                for p in s.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    c.mux(p)
            for p in s.encode():
                c.mux(p)
    work = tmp_path / "w"
    code = main(["train", "--config", "configs/shapes.py:small", "--workdir", str(work),
                 f"--config.data.spec={videos}", "--config.data.on_error=skip",
                 "--config.train.steps=2", "--config.train.progress=false",
                 "--config.mesh.data=1", "--config.optim.warmup_steps=0"])  # fmt: skip
    assert code == 0
    assert "bad.mp4" in (work / "skipped_videos.txt").read_text()
