"""Reading one video (a file or a folder of frames) with PyAV, validating it on the way.

Every failure is a `DataError` naming the file, the reason and the fix. Functions that take a
`sink` list append problems that do not stop decoding (colour policy, too few frames, mixed
frame sizes) to it instead of raising, so `inrv data check` can report every problem of a
video at once; with `sink=None` the first problem raises.
"""

from __future__ import annotations

import hashlib
import os

import av
import numpy as np

from inrv_jax.data.errors import DataError
from inrv_jax.data.preprocess import Preprocess

VIDEO_EXTENSIONS = frozenset(
    (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".gif", ".mpg", ".mpeg", ".ogv", ".flv")
)
IMAGE_EXTENSIONS = frozenset((".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"))
_HASH_CHUNK = 1 << 20


def _fail(sink: list[DataError] | None, err: DataError) -> None:
    if sink is None:
        raise err
    sink.append(err)


def _ext(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def check_path(path: str) -> str:
    """Checks that `path` is an existing video file or frame folder; returns "file" or "folder"."""
    if not os.path.lexists(path):
        raise DataError(path, "missing", "no such file or folder", "check the path in the spec")
    if os.path.isdir(path):
        return "folder"
    if not os.path.isfile(path):
        raise DataError(path, "not_a_file", "exists but is not a regular file or folder")
    if _ext(path) not in VIDEO_EXTENSIONS:
        raise DataError(
            path,
            "unsupported_extension",
            f"extension {_ext(path) or '(none)'!r} is not a supported video type",
            f"convert it to one of {', '.join(sorted(VIDEO_EXTENSIONS))}, or put its frames "
            "in a folder of images",
        )
    if os.path.getsize(path) == 0:
        raise DataError(path, "empty_file", "file is empty (0 bytes)", "re-export or remove it")
    return "file"


def _permission_error(path: str, exc: OSError) -> DataError:
    return DataError(
        path,
        "unreadable",
        f"cannot be read ({exc.strerror or exc})",
        "give the training user read permission (chmod a+r) or remove it from the spec",
    )


def hash_files(paths: list[str]) -> str:
    """sha256 (hex) of the bytes of `paths`, in order, each prefixed by its base name."""
    digest = hashlib.sha256()
    for path in paths:
        if len(paths) > 1:
            digest.update(os.path.basename(path).encode() + b"\0")
        try:
            with open(path, "rb") as f:
                while chunk := f.read(_HASH_CHUNK):
                    digest.update(chunk)
        except PermissionError as exc:
            raise _permission_error(path, exc) from exc
        except OSError as exc:
            raise DataError(path, "unreadable", f"cannot be read ({exc})") from exc
    return digest.hexdigest()


def folder_frames(path: str) -> list[str]:
    """The frame files of a frame folder, sorted by name (as the official loader does).

    Hidden files (".DS_Store", ...) are ignored; any other non-image file is an error.
    """
    try:
        names = sorted(n for n in os.listdir(path) if not n.startswith("."))
    except PermissionError as exc:
        raise _permission_error(path, exc) from exc
    bad = [n for n in names if _ext(n) not in IMAGE_EXTENSIONS]
    if bad:
        raise DataError(
            os.path.join(path, bad[0]),
            "unsupported_extension",
            f"frame folder holds {len(bad)} file(s) that are not images ({bad[:3]})",
            f"keep only {', '.join(sorted(IMAGE_EXTENSIONS))} files in a frame folder",
        )
    if not names:
        raise DataError(path, "empty_folder", "frame folder holds no images", "remove it")
    files = [os.path.join(path, n) for n in names]
    for f in files:
        if os.path.getsize(f) == 0:
            raise DataError(f, "empty_file", "frame file is empty (0 bytes)", "re-export it")
    return files


def _container_kind(path: str) -> str | None:
    """Names the container a file's first bytes announce, or None if none we know."""
    with open(path, "rb") as f:
        head = f.read(16)
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
        return "MP4/QuickTime"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "Matroska/WebM"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "AVI"
    if head[:4] == b"GIF8":
        return "GIF"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if head[:3] == b"\xff\xd8\xff":
        return "JPEG"
    return None


def _open(path: str) -> av.container.InputContainer:
    try:
        return av.open(path)
    except PermissionError as exc:
        raise _permission_error(path, exc) from exc
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        kind = _container_kind(path)
        if kind is None:
            raise DataError(
                path,
                "not_a_video",
                f"bytes are not a video PyAV/FFmpeg can read ({exc})",
                "replace it with a real video file or remove it from the spec",
            ) from exc
        raise DataError(
            path,
            "truncated",
            f"{kind} file is truncated or corrupt and cannot be opened ({exc})",
            "re-download or re-encode it (e.g. ffmpeg -i in.mp4 out.mp4), or remove it",
        ) from exc


def _format_notes(
    prep: Preprocess, frame: av.VideoFrame, path: str, sink: list[DataError] | None
) -> list[str]:
    """The conversions `prep` makes of `frame`'s pixel format (grayscale, alpha, bit depth); a
    format it refuses goes to `sink` (see module doc) and gives no notes."""
    try:
        return prep.check_format(frame.format, path)
    except DataError as err:
        _fail(sink, err)
        return []


def _check_decoded_count(path: str, count: int, stop: int | None, declared: int) -> None:
    """Fails if no frame decoded, or fewer than the `stop` asked for while the container
    declares more (`declared` frames; 0: unknown): the file is truncated."""
    if count == 0:
        raise DataError(
            path, "truncated", "no frame could be decoded (truncated or corrupt)", "re-encode it"
        )
    if stop is not None and count < stop and declared > count:
        raise DataError(
            path,
            "truncated",
            f"container declares {declared} frames but only {count} decode; the file is truncated",
            "re-download or re-encode it, or remove it from the spec",
        )


def decode_video(
    path: str,
    prep: Preprocess,
    start: int = 0,
    stop: int | None = None,
    stride: int = 1,
    sink: list[DataError] | None = None,
    notes: list[str] | None = None,
) -> tuple[np.ndarray, int]:
    """Decodes frames start, start+stride, ... < stop of a video file and preprocesses them.

    Args:
      path: a video file (already checked by `check_path`).
      prep: crop/resize/colour policy.
      start, stop, stride: source frame range; stop=None decodes to the end.
      sink: collects non-fatal problems instead of raising (see module doc).
      notes: collects conversions made (grayscale, alpha, bit depth).

    Returns:
      (frames uint8 [T, H, W, 3], number of source frames decoded).
    """
    out: list[np.ndarray] = []
    count = 0
    with _open(path) as container:
        if not container.streams.video:
            raise DataError(
                path, "no_video_stream", "file holds no video stream (audio only?)", "remove it"
            )
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        declared = stream.frames or 0
        try:
            for frame in container.decode(stream):
                if stop is not None and count >= stop:
                    break
                if count == 0:
                    found = _format_notes(prep, frame, path, sink)
                    if notes is not None:
                        notes.extend(found)
                if count >= start and (count - start) % stride == 0:
                    out.append(prep.apply(frame.to_image(), path))
                count += 1
        except av.error.FFmpegError as exc:
            raise DataError(
                path,
                "truncated",
                f"decoding failed after {count} frames ({exc}); the file is truncated or corrupt",
                "re-download or re-encode it, or remove it from the spec",
            ) from exc
    _check_decoded_count(path, count, stop, declared)
    height, width = prep.size
    frames = np.stack(out) if out else np.zeros((0, height, width, 3), np.uint8)
    return frames, count


def decode_folder(
    files: list[str],
    prep: Preprocess,
    start: int = 0,
    stop: int | None = None,
    stride: int = 1,
    sink: list[DataError] | None = None,
    notes: list[str] | None = None,
) -> tuple[np.ndarray, int]:
    """Like `decode_video` for a frame folder given as its sorted frame files.

    Every frame in [start, stop) is opened (so size and format are checked), but only every
    `stride`-th one is kept. Returns (uint8 [T, H, W, 3], number of frames available).
    """
    stop = len(files) if stop is None else min(stop, len(files))
    out = []
    first_size = None
    formats_seen: set[str] = set()
    for i in range(start, stop):
        path = files[i]
        with _open(path) as container:
            try:
                frame = next(container.decode(video=0))
            except (av.error.FFmpegError, StopIteration) as exc:
                raise DataError(
                    path, "truncated", f"image cannot be decoded ({exc})", "re-export it"
                ) from exc
        if first_size is None:
            first_size = (frame.height, frame.width, path)
        elif (frame.height, frame.width) != first_size[:2]:
            _fail(
                sink,
                DataError(
                    path,
                    "mixed_frame_sizes",
                    f"frame is {frame.height}x{frame.width} but {os.path.basename(first_size[2])}"
                    f" is {first_size[0]}x{first_size[1]}",
                    "resize all frames of a folder to one size",
                ),
            )
            first_size = (frame.height, frame.width, path)  # report each change once
        if frame.format.name not in formats_seen:
            formats_seen.add(frame.format.name)
            found = _format_notes(prep, frame, path, sink)
            if notes is not None:
                notes.extend(n for n in found if n not in notes)
        if (i - start) % stride == 0:
            out.append(prep.apply(frame.to_image(), path))
    height, width = prep.size
    frames = np.stack(out) if out else np.zeros((0, height, width, 3), np.uint8)
    return frames, len(files)
