"""Video sources: one spec string names an ordered list of clips with a manifest.

Spec strings (config key `data.spec` and every CLI command):
  - a list file: one video file or frame folder per line (the official format); blank lines and
    lines starting with "#" are ignored; relative paths are resolved against `data_dir` when
    given, else against the list file's folder;
  - a directory: its video files and frame folders, sorted by name;
  - a single video file or frame folder is a source of one video;
  - `tfds:NAME[/SPLIT]` with `data_dir` (see `inrv_jax.data.tfds_io`);
  - a built-in name: `shapes`, `moving_digits`, `sample_clips` (see `inrv_jax.data.builtin`);
    write `./shapes` to mean a folder of that name.

Opening a source validates every video (decoding the training window, or reading it from the
clip cache), so `len(source)` is exact and a bad video fails at once with a `DataError`, or is
listed in `source.skipped` with `on_error="skip"`. No video is ever replaced by another.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable

import numpy as np

from inrv_jax.data import decode
from inrv_jax.data.cache import ClipCache, cache_key
from inrv_jax.data.errors import DataError
from inrv_jax.data.manifest import Manifest, ManifestEntry
from inrv_jax.data.preprocess import Preprocess, window_span

BUILTIN_NAMES = ("shapes", "moving_digits", "sample_clips")
WINDOWS = ("start", "random")


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


def _read_list_file(path: str, data_dir: str | None) -> list[str]:
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


def prepare_clips(
    spec: str,
    *,
    frames: int,
    size: tuple[int, int],
    crop,
    stride: int,
    data_dir: str | None,
    num_videos: int | None,
    seed: int,
    grayscale: str,
    alpha: str,
    high_bit_depth: str,
    builtin_kwargs: dict,
) -> tuple[Preprocess, list[Clip], dict]:
    """The preprocessing and clips of a spec, as training and `inrv data check` both use them.

    Returns (prep, clips, settings describing the source).
    """
    prep = Preprocess(
        size=tuple(size), crop=crop, grayscale=grayscale, alpha=alpha, high_bit_depth=high_bit_depth
    )
    clips, settings = resolve_clips(
        spec,
        prep,
        frames=frames,
        stride=stride,
        data_dir=data_dir,
        num_videos=num_videos,
        seed=seed,
        builtin_kwargs=builtin_kwargs,
    )
    return prep, clips, settings


def resolve_clips(
    spec: str,
    prep: Preprocess,
    *,
    frames: int,
    stride: int,
    data_dir: str | None,
    num_videos: int | None,
    seed: int,
    builtin_kwargs: dict,
) -> tuple[list[Clip], dict]:
    """Turns a spec string into clips. Returns (clips, settings describing the source)."""
    settings = {"spec": spec}
    if spec in BUILTIN_NAMES:
        from inrv_jax.data import builtin

        clips = builtin.make_clips(
            spec,
            prep,
            frames=frames,
            stride=stride,
            num_videos=num_videos,
            seed=seed,
            **builtin_kwargs,
        )
        return clips, {**settings, "builtin": dict(builtin_kwargs)}
    if builtin_kwargs:
        raise TypeError(f"options {sorted(builtin_kwargs)} apply only to built-in datasets")
    if spec.startswith("tfds:"):
        from inrv_jax.data import tfds_io

        return tfds_io.tfds_clips(spec[len("tfds:") :], prep, data_dir=data_dir), settings
    if not os.path.lexists(spec):
        raise DataError(
            spec,
            "missing",
            "no such list file, folder or built-in dataset",
            f"give an existing path, tfds:NAME, or one of {', '.join(BUILTIN_NAMES)}",
        )
    if os.path.isdir(spec):
        paths = _read_directory(spec)
        has_media = any(
            os.path.isdir(p) or os.path.splitext(p)[1].lower() in decode.VIDEO_EXTENSIONS
            for p in paths
        )
        if not has_media:
            raise DataError(spec, "empty_folder", "folder holds no videos or frame folders")
    elif os.path.splitext(spec)[1].lower() in decode.VIDEO_EXTENSIONS:
        paths = [spec]
    else:
        paths = _read_list_file(spec, data_dir)
    return [file_clip(p, prep) for p in paths], settings


class VideoSource:
    """Validated clips in a fixed order; clip i trains code row i.

    Args:
      clips: from `resolve_clips`.
      frames, stride, window: T frames every `stride` source frames, from the start of each
        video ("start") or from a window drawn at random on every load ("random").
      prep: crop/resize/colour policy.
      on_error: "raise" stops on the first bad video; "skip" leaves it out and records it in
        `skipped` as (path, message).
      num_videos: keep the first N good videos (a prefix, so progressive stages nest).
      seed: default seed for random windows when `load` gets no rng.
      cache: decoded clips (memory, optionally disk).
      preload: decode every clip now (validates everything). False decodes on first `load`
        (only window="start"; a bad video then raises during training).
      settings: recorded in the manifest.
    """

    def __init__(
        self,
        clips: list[Clip],
        *,
        frames: int,
        stride: int,
        window: str,
        prep: Preprocess,
        on_error: str = "raise",
        num_videos: int | None = None,
        seed: int = 0,
        cache: ClipCache | None = None,
        preload: bool = True,
        settings: dict | None = None,
    ):
        if window not in WINDOWS:
            raise ValueError(f"window must be one of {WINDOWS}, got {window!r}")
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        if frames < 1 or stride < 1:
            raise ValueError(f"frames and stride must be >= 1, got {frames}, {stride}")
        if not preload and window != "start":
            raise ValueError("preload=False needs window='start' (random windows need lengths)")
        self.frames, self.stride, self.window, self.prep = frames, stride, window, prep
        self.preload = preload
        self.span = window_span(frames, stride)
        self.seed = seed
        self.cache = cache if cache is not None else ClipCache()
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
            if num_videos is not None and len(entries) >= num_videos:
                break
            try:
                sha = clip.sha256()
                check_duplicate(clip, sha, seen_paths, seen_content)
                key, stop = self._resolve(clip, sha)
            except DataError as err:
                if on_error == "raise":
                    raise
                self.skipped.append((clip.path, str(err)))
                continue
            entries.append(ManifestEntry(len(entries), clip.path, clip.offset, stop, stride, sha))
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
                "frames": frames,
                "stride": stride,
                "window": window,
                "preprocess": prep.key(),
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


def too_short(path: str, available: int, frames: int, stride: int) -> DataError:
    span = window_span(frames, stride)
    return DataError(
        path,
        "too_short",
        f"has {available} frames; a clip of {frames} frames at stride {stride} needs {span}",
        "train with fewer frames or a smaller stride, or remove this video",
    )


def check_duplicate(clip: Clip, sha: str, seen_paths: dict, seen_content: dict) -> None:
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


def open_source(
    spec: str,
    *,
    frames: int,
    size: tuple[int, int] | int,
    crop: str | tuple = "center",
    stride: int = 1,
    window: str = "start",
    data_dir: str | None = None,
    on_error: str = "raise",
    num_videos: int | None = None,
    seed: int = 0,
    cache_dir: str | None = None,
    preload: bool = True,
    grayscale: str = "convert",
    alpha: str = "drop",
    high_bit_depth: str = "error",
    **builtin_kwargs,
) -> VideoSource:
    """Opens and validates a video source. See the module doc for `spec`.

    Args:
      frames: T, frames per clip.
      size: (H, W) of every frame (an int means square).
      crop: "center" (default), "none", (y0, y1, x0, x1) or "y0:y1,x0:x1".
      stride: take every stride-th source frame.
      window: "start" (first frames) or "random" (a window drawn on every load).
      data_dir: TFDS data dir, or the base for relative paths of a list file.
      on_error: "raise" or "skip" (see `VideoSource`).
      num_videos: keep the first N usable videos; for built-ins, how many to make.
      seed: built-in generation seed and default random-window seed.
      cache_dir: mirror decoded clips here so later runs never decode again.
      preload: decode all clips now (default); see `VideoSource`.
      grayscale, alpha, high_bit_depth: colour policies, see `Preprocess`.
      **builtin_kwargs: options of a built-in dataset (e.g. `count`, `hop`).

    Returns:
      A `VideoSource`; `load(i)` gives uint8 [T, H, W, 3].
    """
    if isinstance(size, int):
        size = (size, size)
    prep, clips, settings = prepare_clips(
        spec,
        frames=frames,
        size=size,
        crop=crop,
        stride=stride,
        data_dir=data_dir,
        num_videos=num_videos,
        seed=seed,
        grayscale=grayscale,
        alpha=alpha,
        high_bit_depth=high_bit_depth,
        builtin_kwargs=builtin_kwargs,
    )
    return VideoSource(
        clips,
        frames=frames,
        stride=stride,
        window=window,
        prep=prep,
        on_error=on_error,
        num_videos=num_videos,
        seed=seed,
        cache=ClipCache(cache_dir),
        preload=preload,
        settings=settings,
    )


def source_from_config(cfg) -> VideoSource:
    """Opens the source a `config.data` ConfigDict describes.

    Keys: spec, frames, size, crop, stride, window, data_dir, on_error, num_videos, seed,
    cache_dir, optional grayscale/alpha/high_bit_depth/preload, and `builtin` (a ConfigDict of
    built-in options, may be empty).
    """
    get = cfg.get
    builtin_cfg = get("builtin", None)
    builtin_kwargs = dict(builtin_cfg.to_dict() if hasattr(builtin_cfg, "to_dict") else {})
    if builtin_cfg is not None and not hasattr(builtin_cfg, "to_dict"):
        builtin_kwargs = dict(builtin_cfg)
    if cfg.spec not in BUILTIN_NAMES:
        builtin_kwargs = {}  # a config may keep built-in options around for other specs
    size = cfg.size
    return open_source(
        cfg.spec,
        frames=int(cfg.frames),
        size=int(size) if isinstance(size, int) else tuple(int(s) for s in size),
        crop=get("crop", "center"),
        stride=int(get("stride", 1)),
        window=get("window", "start"),
        data_dir=get("data_dir", None) or None,
        on_error=get("on_error", "raise"),
        num_videos=get("num_videos", None),
        seed=int(get("seed", 0)),
        cache_dir=get("cache_dir", None) or None,
        preload=bool(get("preload", True)),
        grayscale=get("grayscale", "convert"),
        alpha=get("alpha", "drop"),
        high_bit_depth=get("high_bit_depth", "error"),
        **builtin_kwargs,
    )
