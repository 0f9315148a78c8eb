"""Decoded, resized clips kept in memory and optionally as .npy files on disk.

Disk entries are keyed by a hash of (source content, frame range, preprocessing), so a later run
with the same data and settings never decodes again, and any change of data or settings misses.
Writes are atomic (temporary file + rename), so processes may share one cache folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading

import numpy as np

# Bump when decoding or preprocessing changes what a key maps to.
CACHE_VERSION = 1


def cache_key(**parts) -> str:
    """sha256 of the JSON of `parts` (must be JSON-able) and the cache version."""
    text = json.dumps({"v": CACHE_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class ClipCache:
    """A dict of uint8 clips by key, mirrored to `cache_dir/<key[:2]>/<key>.npy` when set."""

    def __init__(self, cache_dir: str | None = None):
        self._memory: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self.cache_dir = None
        self.hits = {"memory": 0, "disk": 0, "miss": 0}
        if cache_dir:
            self.attach(cache_dir)

    def _file(self, key: str) -> str:
        return os.path.join(self.cache_dir, key[:2], key + ".npy")

    def attach(self, cache_dir: str) -> None:
        """Starts mirroring to `cache_dir`, writing every clip already held in memory."""
        self.cache_dir = os.fspath(cache_dir)
        os.makedirs(self.cache_dir, exist_ok=True)
        for key, clip in list(self._memory.items()):
            if not os.path.exists(self._file(key)):
                self._write(key, clip)

    def get(self, key: str) -> np.ndarray | None:
        clip = self._memory.get(key)
        if clip is not None:
            self.hits["memory"] += 1
            return clip
        if self.cache_dir and os.path.exists(self._file(key)):
            try:
                clip = np.load(self._file(key), allow_pickle=False)
            except (OSError, ValueError):
                clip = None  # a damaged cache file is a miss; it will be rewritten
            if clip is not None:
                self.hits["disk"] += 1
                with self._lock:
                    self._memory[key] = clip
                return clip
        self.hits["miss"] += 1
        return None

    def put(self, key: str, clip: np.ndarray) -> None:
        clip.setflags(write=False)
        with self._lock:
            self._memory[key] = clip
        if self.cache_dir:
            self._write(key, clip)

    def _write(self, key: str, clip: np.ndarray) -> None:
        path = self._file(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.save(f, clip, allow_pickle=False)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise

    def __len__(self) -> int:
        return len(self._memory)

    def nbytes(self) -> int:
        return sum(c.nbytes for c in self._memory.values())
