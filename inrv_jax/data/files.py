"""Source kinds on disk: a folder of videos, a single video (file or frame folder), a list file.

A list file is the official format: one video file or frame folder per line; blank lines and
lines starting with "#" are ignored; relative paths are resolved against `data_dir` when
given, else against the list file's folder. A folder source is its video files and frame
folders, sorted by name (a folder of images only is one video).
"""

from __future__ import annotations

import os

from inrv_jax.data import decode
from inrv_jax.data.clip import Clip
from inrv_jax.data.errors import DataError
from inrv_jax.data.options import ClipOptions
from inrv_jax.data.preprocess import Preprocess


def file_clip(path: str, prep: Preprocess) -> Clip:
    """A video file or a frame folder on disk."""

    def sha256() -> str:
        kind = decode.check_path(path)
        return decode.hash_files([path] if kind == "file" else decode.folder_frames(path))

    def read(start, stop, stride, sink=None, notes=None):
        if decode.check_path(path) == "file":
            return decode.decode_video(path, prep, start, stop, stride, sink, notes)
        files = decode.folder_frames(path)
        return decode.decode_folder(files, prep, start, stop, stride, sink, notes)

    return Clip(path=path, sha256=sha256, read=read)


def read_list_file(path: str, data_dir: str | None) -> list[str]:
    """The video paths a list file names, made absolute (see the module doc)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except PermissionError as exc:
        raise decode._permission_error(path, exc) from exc
    except UnicodeDecodeError as exc:
        raise DataError(
            path,
            "not_a_list_file",
            "is neither a video nor a UTF-8 list of paths",
            "give a list file (one path per line), a folder, a tfds: name or a built-in name",
        ) from exc
    paths = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    if not paths:
        raise DataError(
            path, "empty_list", "list file names no videos", "add one video path per line"
        )
    base = data_dir or os.path.dirname(os.path.abspath(path))
    return [p if os.path.isabs(p) else os.path.join(base, p) for p in paths]


def _read_directory(path: str) -> list[str]:
    names = sorted(n for n in os.listdir(path) if not n.startswith("."))
    entries = [os.path.join(path, n) for n in names]
    if not entries:
        raise DataError(
            path, "empty_folder", "folder holds no videos", "add videos or frame folders"
        )
    exts = {os.path.splitext(n)[1].lower() for n in names}
    if exts <= decode.IMAGE_EXTENSIONS and not any(os.path.isdir(e) for e in entries):
        return [path]  # a frame folder: one video
    return entries


# ------------------------------------------------------------------ the kinds (see resolve.py)
def is_directory(spec: str) -> bool:
    return os.path.isdir(spec)


def directory_clips(spec: str, prep: Preprocess, options: ClipOptions) -> list[Clip]:
    paths = _read_directory(spec)
    has_media = any(
        os.path.isdir(p) or os.path.splitext(p)[1].lower() in decode.VIDEO_EXTENSIONS for p in paths
    )
    if not has_media:
        raise DataError(spec, "empty_folder", "folder holds no videos or frame folders")
    return [file_clip(p, prep) for p in paths]


def is_video_file(spec: str) -> bool:
    return os.path.lexists(spec) and os.path.splitext(spec)[1].lower() in decode.VIDEO_EXTENSIONS


def video_file_clips(spec: str, prep: Preprocess, options: ClipOptions) -> list[Clip]:
    return [file_clip(spec, prep)]


def is_list_file(spec: str) -> bool:
    """Anything else that exists is read as a list file (and reports if it is not one)."""
    return os.path.lexists(spec)


def list_file_clips(spec: str, prep: Preprocess, options: ClipOptions) -> list[Clip]:
    return [file_clip(p, prep) for p in read_list_file(spec, options.data_dir)]
