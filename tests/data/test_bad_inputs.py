"""Every kind of bad input gets its own DataError naming the file, the reason and a fix."""

from __future__ import annotations

import builtins
import os

import numpy as np
import pytest
from videofixtures import moving_frames, write_frame_folder, write_video

from inrv_jax.data import DataError, open_source
from inrv_jax.data import decode as decode_mod

OPEN = {"frames": 8, "size": (16, 16)}


def _listing(tmp_path, *paths) -> str:
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(os.fspath(p) for p in paths) + "\n")
    return str(listing)


def _expect(spec, reason, path=None, **kwargs):
    with pytest.raises(DataError) as info:
        open_source(spec, **{**OPEN, **kwargs})
    err = info.value
    assert err.reason == reason, str(err)
    assert f"[{reason}]" in str(err)
    if path is not None:
        assert err.path == os.fspath(path) and os.fspath(path) in str(err)
    return err


def _bad_files(tmp_path) -> dict:
    """reason -> a bad video file or frame folder (each on its own)."""
    bad = {}
    bad["missing"] = tmp_path / "missing.mp4"
    (tmp_path / "empty.mp4").write_bytes(b"")
    bad["empty_file"] = tmp_path / "empty.mp4"
    (tmp_path / "noise.mp4").write_bytes(np.random.default_rng(0).bytes(4096))
    bad["not_a_video"] = tmp_path / "noise.mp4"
    whole = write_video(tmp_path / "whole.mp4", moving_frames(12, 16, 16))
    data = open(whole, "rb").read()
    (tmp_path / "truncated.mp4").write_bytes(data[: len(data) // 2])
    bad["truncated"] = tmp_path / "truncated.mp4"
    bad["too_short"] = write_video(tmp_path / "short.mp4", moving_frames(5, 16, 16))
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04 not a video")
    bad["unsupported_extension"] = tmp_path / "notes.docx"
    mixed = write_frame_folder(tmp_path / "mixed", moving_frames(8, 16, 16))
    write_frame_folder(tmp_path / "mixed_tail", moving_frames(1, 12, 16))
    os.replace(tmp_path / "mixed_tail" / "0000.png", os.path.join(mixed, "0005b.png"))
    bad["mixed_frame_sizes"] = mixed
    deep = (np.arange(8 * 16 * 16).reshape(8, 16, 16) * 37 % 65536).astype(np.uint16)
    bad["high_bit_depth"] = write_frame_folder(tmp_path / "deep", deep)
    return bad


@pytest.mark.parametrize(
    "reason",
    [
        "missing",
        "empty_file",
        "not_a_video",
        "truncated",
        "too_short",
        "unsupported_extension",
        "mixed_frame_sizes",
        "high_bit_depth",
    ],
)
def test_each_bad_file_has_its_own_error(tmp_path, reason):
    path = _bad_files(tmp_path)[reason]
    err = _expect(_listing(tmp_path, path), reason)
    assert err.fix, "every error tells the fix"
    assert os.path.basename(os.fspath(path)) in str(err)


def test_truncated_faststart_mp4_is_caught_while_decoding(tmp_path):
    path = write_video(
        tmp_path / "fast.mp4", moving_frames(12, 16, 16), options={"movflags": "faststart"}
    )
    data = open(path, "rb").read()
    (tmp_path / "fast.mp4").write_bytes(data[: len(data) * 2 // 3])
    err = _expect(path, "truncated", path)
    assert "truncated" in err.detail


def test_empty_list_file(tmp_path):
    listing = tmp_path / "empty.txt"
    listing.write_text("# nothing here\n\n")
    _expect(str(listing), "empty_list", listing)


def test_missing_spec(tmp_path):
    _expect(str(tmp_path / "nowhere"), "missing", tmp_path / "nowhere")


def test_duplicate_entries(tmp_path, video_dir):
    a = video_dir / "a.mp4"
    _expect(_listing(tmp_path, a, a), "duplicate", a)
    copy = tmp_path / "copy_of_a.mp4"
    copy.write_bytes(a.read_bytes())
    err = _expect(_listing(tmp_path, a, copy), "duplicate_content", copy)
    assert "a.mp4" in str(err)


def test_unreadable_file(tmp_path, video_dir, monkeypatch):
    # Tests run as root, where chmod 000 does not stop reads: simulate the OS refusing.
    target = os.fspath(video_dir / "b.mp4")
    real_open = builtins.open

    def guarded_open(path, *args, **kwargs):
        if os.fspath(path) == target:
            raise PermissionError(13, "Permission denied", target)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(decode_mod, "open", guarded_open, raising=False)
    err = _expect(_listing(tmp_path, target), "unreadable", target)
    assert "chmod" in err.fix


def test_grayscale_converted_by_default_or_rejected(tmp_path):
    gray = moving_frames(8, 16, 16)[..., 0]
    folder = write_frame_folder(tmp_path / "gray", gray)
    source = open_source(folder, **OPEN)
    np.testing.assert_array_equal(source.load(0), np.repeat(gray[..., None], 3, axis=-1))
    assert source.notes[folder] == ["grayscale replicated to RGB"]
    err = _expect(folder, "grayscale", os.path.join(folder, "0000.png"), grayscale="error")
    assert "gray" in err.detail
    video = write_video(tmp_path / "gray.mkv", moving_frames(8, 16, 16), "ffv1", "gray")
    clip = open_source(video, **OPEN).load(0)
    assert np.array_equal(clip[..., 0], clip[..., 1]) and np.array_equal(clip[..., 0], clip[..., 2])
    _expect(video, "grayscale", video, grayscale="error")


def test_alpha_dropped_by_default_or_rejected(tmp_path):
    rgba = np.concatenate([moving_frames(8, 16, 16), np.full((8, 16, 16, 1), 90, np.uint8)], -1)
    folder = write_frame_folder(tmp_path / "rgba", rgba)
    np.testing.assert_array_equal(open_source(folder, **OPEN).load(0), rgba[..., :3])
    _expect(folder, "alpha", os.path.join(folder, "0000.png"), alpha="error")
    video = write_video(tmp_path / "rgba.mov", rgba, "png", "rgba")
    np.testing.assert_array_equal(open_source(video, **OPEN).load(0), rgba[..., :3])
    _expect(video, "alpha", video, alpha="error")


def test_16_bit_png_rejected_by_default_or_converted(tmp_path):
    deep = (np.arange(8 * 16 * 16).reshape(8, 16, 16) * 37 % 65536).astype(np.uint16)
    folder = write_frame_folder(tmp_path / "deep", deep)
    err = _expect(folder, "high_bit_depth", os.path.join(folder, "0000.png"))
    assert "16-bit" in str(err)
    clip = open_source(folder, high_bit_depth="convert", **OPEN).load(0)
    expected = np.repeat((deep >> 8).astype(np.uint8)[..., None], 3, -1)
    assert np.abs(clip.astype(int) - expected).max() <= 1


def test_skip_leaves_bad_videos_out_and_lists_them(tmp_path, video_dir):
    bad = _bad_files(tmp_path)
    good = [video_dir / "a.mp4", video_dir / "c_frames"]
    spec = _listing(tmp_path, good[0], *bad.values(), good[1])
    with pytest.raises(DataError, match="missing"):
        open_source(spec, **OPEN)
    source = open_source(spec, on_error="skip", **OPEN)
    assert source.manifest.paths == [os.fspath(p) for p in good]
    assert [p for p, _ in source.skipped] == [os.fspath(p) for p in bad.values()]
    for (_, message), reason in zip(source.skipped, bad, strict=True):
        assert f"[{reason}]" in message
    # Never substituted: row 1 is c_frames, not some other video.
    np.testing.assert_array_equal(source.load(1), open_source(str(good[1]), **OPEN).load(0))


def test_all_bad_is_an_error_even_when_skipping(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    _expect(_listing(tmp_path, tmp_path / "empty.mp4"), "no_usable_videos", on_error="skip")
