"""`VideoSource`: the validated, ordered clips of one spec, decoded once and cached.

It knows nothing of spec strings: `inrv_jax.data.sources.open_source` resolves a spec into
clips (`inrv_jax.data.resolve`) and hands them here.
"""

from __future__ import annotations

import threading

import numpy as np

from inrv_jax.data.cache import ClipCache, cache_key
from inrv_jax.data.clip import Clip, check_duplicate, too_short
from inrv_jax.data.errors import DataError
from inrv_jax.data.manifest import Manifest, ManifestEntry
from inrv_jax.data.options import ClipOptions
from inrv_jax.data.preprocess import Preprocess


class VideoSource:
    """Validated clips in a fixed order; clip i trains code row i.

    Opening validates every video (decoding the training window, or reading it from the clip
    cache), so `len(source)` is exact and a bad video fails at once with a `DataError`, or is
    listed in `skipped` as (path, message) with `on_error="skip"`. No video is ever replaced
    by another.

    Args:
      clips: from `inrv_jax.data.resolve.resolve_clips`.
      options: frames, stride, window ("start": the first frames of each video; "random": a
        window drawn on every load), on_error, num_videos (keep the first N good videos, a
        prefix, so progressive stages nest), seed (default seed of random windows when `load`
        gets no rng) and preload (False decodes on first `load`; a bad video then raises
        during training). See `ClipOptions`.
      prep: crop/resize/colour policy (default: `options.preprocess()`).
      cache: decoded clips (memory, optionally disk); default: a memory cache mirrored to
        `options.cache_dir` when set.
      settings: recorded in the manifest.
    """

    def __init__(
        self,
        clips: list[Clip],
        options: ClipOptions,
        *,
        prep: Preprocess | None = None,
        cache: ClipCache | None = None,
        settings: dict | None = None,
    ):
        self.options = options
        self.frames, self.stride, self.window = options.frames, options.stride, options.window
        self.prep = prep if prep is not None else options.preprocess()
        self.preload = options.preload
        self.span = options.span
        self.seed = options.seed
        self.cache = cache if cache is not None else ClipCache(options.cache_dir)
        self.skipped: list[tuple[str, str]] = []
        self.notes: dict[str, list[str]] = {}
        self._clips: list[Clip] = []
        self._keys: list[str] = []
        self._locks: dict[int, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        entries: list[ManifestEntry] = []
        seen_paths: dict[tuple[str, int], str] = {}
        seen_content: dict[str, str] = {}
        for clip in clips:
            if options.num_videos is not None and len(entries) >= options.num_videos:
                break
            try:
                sha = clip.sha256()
                check_duplicate(clip, sha, seen_paths, seen_content)
                key, stop = self._resolve(clip, sha)
            except DataError as err:
                if options.on_error == "raise":
                    raise
                self.skipped.append((clip.path, str(err)))
                continue
            entries.append(
                ManifestEntry(len(entries), clip.path, clip.offset, stop, self.stride, sha)
            )
            self._clips.append(clip)
            self._keys.append(key)
        if not entries:
            raise DataError(
                settings.get("spec", "") if settings else "",
                "no_usable_videos",
                f"no usable video ({len(self.skipped)} skipped)",
                "run `inrv data check SPEC` to see every problem",
            )
        self.manifest = Manifest(
            entries=tuple(entries),
            settings={
                **(settings or {}),
                "frames": self.frames,
                "stride": self.stride,
                "window": self.window,
                "preprocess": self.prep.key(),
            },
        )

    def _key(self, clip: Clip, sha: str) -> str:
        """Disk-cache key: content, extent, and everything that shapes the decoded array."""
        what = (
            {"window": "start", "frames": self.frames, "stride": self.stride}
            if self.window == "start"
            else {"window": "all"}
        )
        return cache_key(
            sha256=sha, offset=clip.offset, length=clip.length, prep=self.prep.key(), **what
        )

    def _resolve(self, clip: Clip, sha: str) -> tuple[str, int]:
        """Decodes (or finds in cache) one clip; returns (cache key, frame_stop)."""
        key = self._key(clip, sha)
        if self.window == "start":
            if self.preload and self.cache.get(key) is None:
                self.cache.put(key, self._decode(clip))
            return key, clip.offset + self.span
        cached = self.cache.get(key)
        if cached is None:
            cached = self._decode(clip)
            self.cache.put(key, cached)
        return key, clip.offset + cached.shape[0]

    def _decode(self, clip: Clip, sink=None) -> np.ndarray:
        """uint8 [T, H, W, 3] for window="start", all frames [N, H, W, 3] for "random"."""
        notes: list[str] = []
        if self.window == "start":
            arr, n = clip.read(0, self.span, self.stride, sink, notes)
        else:
            arr, n = clip.read(0, None, 1, sink, notes)
        if n < self.span:
            err = too_short(clip.path, n, self.frames, self.stride)
            if sink is None:
                raise err
            sink.append(err)
        if notes:
            self.notes[clip.path] = notes
        return arr

    def __len__(self) -> int:
        return len(self._clips)

    def _array(self, i: int) -> np.ndarray:
        arr = self.cache.get(self._keys[i])
        if arr is not None:
            return arr
        with self._locks_guard:
            lock = self._locks.setdefault(i, threading.Lock())
        with lock:  # decode each clip once even when loader threads race for it
            arr = self.cache.get(self._keys[i])
            if arr is None:
                arr = self._decode(self._clips[i])
                self.cache.put(self._keys[i], arr)
        return arr

    def full(self, i: int) -> np.ndarray:
        """Every cached frame of video i: uint8 [N, H, W, 3] (window="random"), else its clip."""
        return self._array(i)

    def load(self, i: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Clip i as uint8 [T, H, W, 3].

        For window="random", `rng` (a Generator or an int seed) picks the window; None uses a
        fixed seed derived from (source seed, i).
        """
        arr = self._array(i)
        if self.window == "start":
            return arr
        if not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng([self.seed, i] if rng is None else rng)
        first = int(rng.integers(0, arr.shape[0] - self.span + 1))
        return arr[first : first + self.span : self.stride]

    def attach_disk_cache(self, cache_dir: str) -> None:
        """Mirrors the clip cache to `cache_dir` (writes what is already decoded)."""
        self.cache.attach(cache_dir)

    @property
    def paths(self) -> list[str]:
        return self.manifest.paths
