"""`Clip`, what every kind of source yields, and the checks shared by opening and checking.

The lowest layer of sources: the source kinds (files, built-ins, TFDS) make clips, and
`VideoSource` and `check_source` consume them; none of those import each other through here.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

import numpy as np

from inrv_jax.data.errors import DataError
from inrv_jax.data.preprocess import window_span


@dataclasses.dataclass
class Clip:
    """One video before windowing.

    Attributes:
      path: file, folder or built-in id (goes into the manifest).
      sha256: returns the content hash; may raise DataError (missing, unreadable...).
      read: (start, stop, stride, sink, notes) -> (uint8 [T, H, W, 3] at the target size,
        number of frames available); start/stop are relative to `offset`, stop=None = to the end.
      offset: first source frame of this clip in its file (clips cut from a longer video).
      length: frames of the file this clip may use from `offset` on (None: to the end).
    """

    path: str
    sha256: Callable[[], str]
    read: Callable[..., tuple[np.ndarray, int]]
    offset: int = 0
    length: int | None = None


def too_short(path: str, available: int, frames: int, stride: int) -> DataError:
    span = window_span(frames, stride)
    return DataError(
        path,
        "too_short",
        f"has {available} frames; a clip of {frames} frames at stride {stride} needs {span}",
        "train with fewer frames or a smaller stride, or remove this video",
    )


def check_duplicate(clip: Clip, sha: str, seen_paths: dict, seen_content: dict) -> None:
    """Raises DataError when `clip` repeats a path or the content of an earlier clip.

    `seen_paths` and `seen_content` carry what earlier clips of the same source registered.
    """
    where = (os.path.realpath(clip.path) if os.path.exists(clip.path) else clip.path, clip.offset)
    if where in seen_paths:
        raise DataError(
            clip.path,
            "duplicate",
            f"listed twice (first as {seen_paths[where]})",
            "remove the duplicate line; each video may own one code",
        )
    content = f"{sha}:{clip.offset}"
    if content in seen_content:
        raise DataError(
            clip.path,
            "duplicate_content",
            f"has the same content as {seen_content[content]}",
            "remove one copy; each video may own one code",
        )
    seen_paths[where] = clip.path
    seen_content[content] = clip.path
