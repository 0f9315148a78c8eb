"""`inrv data check | build-tfds | manifest` end to end."""

from __future__ import annotations

import json

from videofixtures import moving_frames, write_video

from inrv_jax.cli import main
from inrv_jax.data import Manifest


def test_check_ok(video_dir, capsys):
    assert main(["data", "check", str(video_dir), "--frames", "8", "--size", "16,16"]) == 0
    out = capsys.readouterr().out
    assert "3 videos, 0 with problems" in out


def test_check_reports_every_problem_of_every_video(tmp_path, video_dir, capsys):
    write_video(video_dir / "short.mp4", moving_frames(4, 16, 16))
    (video_dir / "empty.mp4").write_bytes(b"")
    (video_dir / "copy.mp4").write_bytes((video_dir / "a.mp4").read_bytes())
    code = main(["data", "check", str(video_dir), "--frames", "8", "--size", "16,16", "--json"])
    assert code == 1
    report = json.loads(capsys.readouterr().out)
    reasons = {
        r["path"].rsplit("/", 1)[-1]: [p["reason"] for p in r["problems"]]
        for r in report["reports"]
    }
    assert reasons["short.mp4"] == ["too_short"]
    assert reasons["empty.mp4"] == ["empty_file"]
    assert reasons["copy.mp4"] == ["duplicate_content"]  # a.mp4 comes first, copy.mp4 later
    assert reasons["a.mp4"] == []
    assert reasons["b.mp4"] == []


def test_check_collects_several_problems_of_one_video(tmp_path, capsys):
    gray_short = write_video(tmp_path / "g.mkv", moving_frames(3, 16, 16), "ffv1", "gray")
    code = main(["data", "check", gray_short, "--frames", "8", "--size", "8,8",
                 "--grayscale", "error"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert "grayscale" in out and "too_short" in out and "fix:" in out


def test_check_bad_spec_exits_2(tmp_path, capsys):
    assert main(["data", "check", str(tmp_path / "nothing.txt")]) == 2
    assert "missing" in capsys.readouterr().err


def test_build_tfds_then_manifest(video_dir, tmp_path, capsys):
    data_dir = str(tmp_path / "tfds")
    args = ["data", "build-tfds", str(video_dir), "--name", "cli_videos", "--data-dir", data_dir]
    assert main([*args, "--size", "16,16"]) == 0
    capsys.readouterr()
    spec_args = ["--frames", "8", "--size", "16,16", "--data-dir", data_dir]
    assert main(["data", "manifest", "tfds:cli_videos", *spec_args]) == 0
    manifest = Manifest.from_json(capsys.readouterr().out)
    assert len(manifest) == 3 and manifest[1].path == "tfds:cli_videos/1"
