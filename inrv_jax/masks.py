"""The inversion tasks (one registry, ``TASKS``) and their observation masks (DESIGN §2).

A task says which pixels of a ``T×H×W`` video the inversion may look at. Its mask is stored as
``f32[T, H, W]`` weights: 0 = unobserved, k = observed k times (the official sparse mask draws
pixel indices *with replacement*, and its MSE counts a pixel drawn twice twice). A boolean mask
is the special case of weights in {0, 1}; ``weights > 0`` is the observed set used by the
"unobserved pixels only" metrics.

Official masks are flattened index lists over the t-major grid, so pixel ``i`` is
``(i // (H*W), (i // W) % H, i % W)``; ``weights_from_indices`` / ``indices_from_weights``
convert between the two forms.

Tasks (``TASKS``; each entry is the one place that defines a task for ``make_mask``,
``inrv_jax.tasks.invert.prepare``, ``inrv_jax.tasks.evaluate`` and the command lines):
  * ``all`` (plain inversion): every pixel;
  * ``inpainting``: top half of every frame (rows ``0 .. H//2 - 1``);
  * ``prediction``: the first ``k`` frames (future segment prediction, default 4);
  * ``frame-interpolation``: the first and the last frame;
  * ``temporal``: every other frame (0, 2, 4, …): temporal upsampling;
  * ``sparse``: ``round(0.25 T H W)`` random draws with replacement (≈22% unique pixels);
  * ``box``: everything except a box ``(t0, t1, y0, y1, x0, x1)`` (default: the centre quarter
    of every frame), i.e. region inpainting;
  * ``super-resolution``: every pixel of a downsampled grid (default half size); no
    full-resolution pixel is observed;
  * ``mask``: a user mask, ``load_mask(path, (T, H, W))`` of a ``.npy`` of bool/0-1
    ``[T, H, W]`` or of flattened integer indices.

This module imports numpy only: the command lines take their task names from it. It sits
below every layer (not in ``tasks/``) because the train step draws the jointly trained
encoder's observation masks from it (``inrv_jax.encoder.mask_bank``).
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Callable

import numpy as np

from inrv_jax.errors import UserError

DEFAULT_FUTURE_FRAMES = 4
DEFAULT_SPARSE_FRAC = 0.25

Shape = tuple[int, int, int]  # (T, H, W)


class MaskError(UserError, ValueError):
    """A mask that does not fit the video; the message names the file or argument."""


def _check_shape(shape) -> tuple[int, int, int]:
    t, h, w = (int(x) for x in shape)
    if min(t, h, w) < 1:
        raise MaskError(f"video shape must be positive (T, H, W), got {shape}")
    return t, h, w


def weights_from_indices(indices, shape) -> np.ndarray:
    """Flattened pixel indices (repeats allowed) -> weights f32[T, H, W] (counts)."""
    t, h, w = _check_shape(shape)
    idx = np.asarray(indices).reshape(-1)
    if idx.size and not np.issubdtype(idx.dtype, np.integer):
        raise MaskError(f"mask indices must be integers, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= t * h * w):
        raise MaskError(
            f"mask indices must lie in [0, {t * h * w}) for a {t}×{h}×{w} grid, "
            f"got range [{idx.min()}, {idx.max()}]"
        )
    counts = np.bincount(idx.astype(np.int64), minlength=t * h * w)
    return counts.astype(np.float32).reshape(t, h, w)


def indices_from_weights(weights: np.ndarray) -> np.ndarray:
    """Weights f32[T, H, W] -> flattened indices i64[sum(weights)] (index i repeated w_i times)."""
    flat = np.rint(np.asarray(weights).reshape(-1)).astype(np.int64)
    return np.repeat(np.arange(flat.size), flat)


@dataclasses.dataclass(frozen=True)
class TaskOptions:
    """The tasks' settings; each task reads the fields its ``Task.options`` names.

    Attributes:
      seed: randomness of "sparse" (video i of a batch draws with ``seed + i``).
      future_frames: observed frames of "prediction".
      sparse_frac: draws of "sparse", as a fraction of T·H·W.
      box: hidden region ``(t0, t1, y0, y1, x0, x1)`` (half-open) of "box"; None: the centre
        quarter of every frame.
      mask: the weights f32[T, H, W] of "mask".
      low_size: (h, w) observed by "super-resolution"; None: (H // 2, W // 2).
    """

    seed: int = 0
    future_frames: int = DEFAULT_FUTURE_FRAMES
    sparse_frac: float = DEFAULT_SPARSE_FRAC
    box: tuple[int, int, int, int, int, int] | None = None
    mask: np.ndarray | None = dataclasses.field(default=None, compare=False)
    low_size: tuple[int, int] | None = None


@dataclasses.dataclass(frozen=True)
class Task:
    """One inversion task.

    Attributes:
      name: its ``inrv invert --task`` / ``inrv evaluate --tasks`` name.
      title: its row in evaluate's table; ``{option}`` fields name ``TaskOptions`` fields.
      mask: (shape (T, h, w) of the observed grid, options) -> weights f32[T, h, w].
      unobserved: the pixels the ``*_unobserved`` metrics score: "hidden" (the video's pixels
        of weight 0), "every" (every pixel of the video: the task observes another grid) or
        "none" (no pixel is hidden: no such metrics).
      observed_size: ((H, W), options) -> (h, w), the grid the task observes, when it is not
        the video's own (the videos are resized to it).
      options: the ``TaskOptions`` fields the task reads (besides ``seed``).
      per_video: every video of a batch gets its own mask (``seed + i``).
      heldout: part of evaluate's default suite of held-out tasks.
      heldout_options: options evaluate uses for clips of T frames.
      baselines: the model-free references scored beside it (names of
        ``inrv_jax.tasks.baselines.BASELINES``).
    """

    name: str
    title: str
    mask: Callable[[Shape, TaskOptions], np.ndarray]
    unobserved: str = "hidden"
    observed_size: Callable[[tuple[int, int], TaskOptions], tuple[int, int]] | None = None
    options: tuple[str, ...] = ()
    per_video: bool = False
    heldout: bool = True
    heldout_options: Callable[[int], dict] = lambda frames: {}
    baselines: tuple[str, ...] = ()

    def __post_init__(self):
        if self.unobserved not in ("hidden", "every", "none"):
            raise ValueError(f"task {self.name}: unobserved={self.unobserved!r}")
        if (self.observed_size is not None) != (self.unobserved == "every"):
            raise ValueError(f"task {self.name}: another grid is exactly unobserved='every'")

    def describe(self, options: dict) -> str:
        """The title with its option fields filled from ``options`` (defaults for the rest)."""
        defaults = TaskOptions()
        return self.title.format(**{k: options.get(k, getattr(defaults, k)) for k in self.options})


def _everything(shape: Shape, opts: TaskOptions) -> np.ndarray:
    return np.ones(shape, np.float32)


def _top_half(shape: Shape, opts: TaskOptions) -> np.ndarray:
    m = np.zeros(shape, np.float32)
    m[:, : shape[1] // 2] = 1
    return m


def _first_frames(shape: Shape, opts: TaskOptions) -> np.ndarray:
    t, k = shape[0], opts.future_frames
    if not 0 < k < t:
        raise MaskError(f"prediction observes k frames with 0 < k < T={t}, got {k}")
    m = np.zeros(shape, np.float32)
    m[:k] = 1
    return m


def _first_and_last(shape: Shape, opts: TaskOptions) -> np.ndarray:
    t = shape[0]
    if t < 3:
        raise MaskError(f"frame interpolation needs at least 3 frames, got T={t}")
    m = np.zeros(shape, np.float32)
    m[[0, t - 1]] = 1
    return m


def _even_frames(shape: Shape, opts: TaskOptions) -> np.ndarray:
    if shape[0] < 3:
        raise MaskError(f"temporal upsampling needs at least 3 frames, got T={shape[0]}")
    m = np.zeros(shape, np.float32)
    m[::2] = 1
    return m


def _sparse_draws(shape: Shape, opts: TaskOptions) -> np.ndarray:
    if not 0 < opts.sparse_frac <= 1:
        raise MaskError(f"sparse_frac must be in (0, 1], got {opts.sparse_frac}")
    n = int(np.prod(shape))
    draws = np.random.default_rng(opts.seed).integers(0, n, int(round(opts.sparse_frac * n)))
    return weights_from_indices(draws, shape)


def _all_but_box(shape: Shape, opts: TaskOptions) -> np.ndarray:
    t, h, w = shape
    box = opts.box
    t0, t1, y0, y1, x0, x1 = (0, t, h // 4, h - h // 4, w // 4, w - w // 4) if box is None else box
    m = np.ones(shape, np.float32)
    m[t0:t1, y0:y1, x0:x1] = 0
    if m.all():
        raise MaskError(f"box {box} hides no pixel of a {t}×{h}×{w} video")
    return m


def _user_mask(shape: Shape, opts: TaskOptions) -> np.ndarray:
    if opts.mask is None:
        raise MaskError("task 'mask' needs a mask (inrv invert --mask FILE.npy)")
    m = np.asarray(opts.mask, np.float32)
    if m.shape != tuple(shape):
        raise MaskError(f"the mask has shape {m.shape}; the videos are {tuple(shape)} (T, H, W)")
    return m


def _half_size(size: tuple[int, int], opts: TaskOptions) -> tuple[int, int]:
    h, w = size
    return tuple(opts.low_size) if opts.low_size else (max(1, h // 2), max(1, w // 2))


def _prediction_heldout_options(frames: int) -> dict:
    # The official first 4 frames; half the clip when that is all it has.
    k = DEFAULT_FUTURE_FRAMES
    return {"future_frames": k if frames > k else max(1, frames // 2)}


# Fills from the observed pixels of each frame, the closest training clip, and one INR fitted
# to the observed pixels alone (the per-video method without the latent space).
_SPATIAL = ("biharmonic", "nearest-pixel", "nearest-training", "fit-single")

TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task(
            "all",
            "inversion",
            _everything,
            unobserved="none",
            baselines=("nearest-training", "fit-single"),
        ),
        Task("inpainting", "inpainting (top half observed)", _top_half, baselines=_SPATIAL),
        Task(
            "prediction",
            "future prediction (first {future_frames} frames)",
            _first_frames,
            options=("future_frames",),
            heldout_options=_prediction_heldout_options,
            baselines=("repeat-last", "fit-single"),
        ),
        Task(
            "frame-interpolation",
            "frame interpolation (first + last)",
            _first_and_last,
            baselines=("blend", "fit-single"),
        ),
        Task(
            "temporal",
            "temporal upsampling (even frames)",
            _even_frames,
            baselines=("blend", "fit-single"),
        ),  # fmt: skip
        Task(
            "sparse",
            "sparse inpainting ({sparse_frac:.0%} draws)",
            _sparse_draws,
            options=("sparse_frac",),
            per_video=True,
            baselines=_SPATIAL,
        ),
        Task(
            "box",
            "box inpainting",
            _all_but_box,
            options=("box",),
            heldout=False,
            baselines=_SPATIAL,
        ),
        Task(
            "super-resolution",
            "super-resolution (½ size observed)",
            _everything,
            unobserved="every",
            observed_size=_half_size,
            options=("low_size",),
            baselines=("bicubic", "fit-single"),
        ),
        Task("mask", "user mask", _user_mask, options=("mask",), heldout=False, baselines=_SPATIAL),
    )
}
# Evaluate's default suite (every task that needs no input of the user's).
HELDOUT_TASKS = tuple(name for name, task in TASKS.items() if task.heldout)


def get_task(name: str) -> Task:
    """The registry entry of ``name``; MaskError names the choices when there is none."""
    if name not in TASKS:
        raise MaskError(f"unknown task {name!r}; choose one of {tuple(TASKS)}")
    return TASKS[name]


def make_mask(task: str, shape, **options) -> np.ndarray:
    """Observation weights of one task for a ``(T, H, W)`` video.

    Args:
      task: one of ``TASKS`` (a task that observes another grid, "super-resolution", gets the
        weights of that grid: pass its shape).
      shape: (T, H, W).
      **options: ``TaskOptions`` fields (seed, future_frames, sparse_frac, box, mask, low_size).

    Returns:
      f32[T, H, W] weights (0 = unobserved).
    """
    return get_task(task).mask(_check_shape(shape), TaskOptions(**options))


def load_mask(path, shape) -> np.ndarray:
    """A user mask from ``.npy``: bool/0-1 ``[T, H, W]`` (or weights), or flattened indices.

    Returns:
      f32[T, H, W] weights.
    """
    t, h, w = _check_shape(shape)
    path = pathlib.Path(path)
    if path.suffix.lower() != ".npy":
        raise MaskError(f"mask {path} must be a .npy file ([T, H, W] bool or flattened indices)")
    try:
        arr = np.load(path, allow_pickle=False)
    except FileNotFoundError as err:
        raise MaskError(f"mask {path} does not exist") from err
    except ValueError as err:
        raise MaskError(f"mask {path} is not a plain .npy array ({err})") from err
    if arr.ndim == 3:
        if arr.shape != (t, h, w):
            raise MaskError(
                f"mask {path} has shape {arr.shape}; the videos are {(t, h, w)} (T, H, W): "
                "save a mask of that shape or flattened indices"
            )
        if arr.dtype == bool:
            return arr.astype(np.float32)
        m = np.asarray(arr, np.float32)
        if not np.isfinite(m).all() or (m < 0).any():
            raise MaskError(f"mask {path} has negative or non-finite weights")
        return m
    if arr.ndim == 1:
        try:
            return weights_from_indices(arr, (t, h, w))
        except MaskError as err:
            raise MaskError(f"mask {path}: {err}") from err
    raise MaskError(
        f"mask {path} has shape {arr.shape}: expected [T, H, W] = {(t, h, w)} or 1-D indices"
    )


def observed(weights: np.ndarray) -> np.ndarray:
    """bool mask of the observed pixels (weights > 0), same shape."""
    return np.asarray(weights) > 0
