"""Fixtures of the data tests: small videos written into tmp_path."""

from __future__ import annotations

import pytest
from videofixtures import moving_frames, write_frame_folder, write_video


@pytest.fixture
def video_dir(tmp_path):
    """A folder with two mp4s (12 frames, 24x32) and one PNG frame folder (12 frames)."""
    root = tmp_path / "videos"
    root.mkdir()
    write_video(root / "a.mp4", moving_frames(12, 24, 32, seed=1))
    write_video(root / "b.mp4", moving_frames(12, 24, 32, seed=2))
    write_frame_folder(root / "c_frames", moving_frames(12, 24, 32, seed=3))
    return root
