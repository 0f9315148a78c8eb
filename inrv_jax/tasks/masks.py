"""Observation masks of the masked inversion tasks (DESIGN §2), as per-pixel weights.

A mask says which pixels of a ``T×H×W`` video the inversion may look at. It is stored as
``f32[T, H, W]`` weights: 0 = unobserved, k = observed k times (the official sparse mask draws
pixel indices *with replacement*, and its MSE counts a pixel drawn twice twice). A boolean mask
is the special case of weights in {0, 1}; ``weights > 0`` is the observed set used by the
"unobserved pixels only" metrics.

Official masks are flattened index lists over the t-major grid, so pixel ``i`` is
``(i // (H*W), (i // W) % H, i % W)``; ``weights_from_indices`` / ``indices_from_weights``
convert between the two forms.

Tasks (``TASKS``):
  * ``all`` (plain inversion): every pixel;
  * ``inpainting``: top half of every frame (rows ``0 .. H//2 - 1``);
  * ``prediction``: the first ``k`` frames (future segment prediction, default 4);
  * ``frame-interpolation``: the first and the last frame;
  * ``temporal``: every other frame (0, 2, 4, …): temporal upsampling;
  * ``sparse``: ``round(0.25 T H W)`` random draws with replacement (≈22% unique pixels);
  * ``box``: everything except a box ``(t0, t1, y0, y1, x0, x1)`` (default: the centre quarter
    of every frame), i.e. region inpainting;
  * ``super-resolution``: fit on a downsampled grid; handled by ``inrv_jax.tasks.invert``
    (every low-resolution pixel is observed, no full-resolution pixel is).
User masks: ``load_mask(path, (T, H, W))`` reads a ``.npy`` of bool/0-1 ``[T, H, W]`` or of
flattened integer indices.
"""

from __future__ import annotations

import pathlib

import numpy as np

from inrv_jax.errors import UserError

TASKS = (
    "all",
    "inpainting",
    "prediction",
    "frame-interpolation",
    "temporal",
    "sparse",
    "box",
    "super-resolution",
)
DEFAULT_FUTURE_FRAMES = 4
DEFAULT_SPARSE_FRAC = 0.25


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


def make_mask(
    task: str,
    shape,
    *,
    seed: int = 0,
    future_frames: int = DEFAULT_FUTURE_FRAMES,
    sparse_frac: float = DEFAULT_SPARSE_FRAC,
    box: tuple[int, int, int, int, int, int] | None = None,
) -> np.ndarray:
    """Observation weights of one task for a ``(T, H, W)`` video.

    Args:
      task: one of ``TASKS`` ("super-resolution" observes a different grid: see ``invert``; here
        it returns all-ones, the weights of that low-resolution grid).
      shape: (T, H, W).
      seed: randomness of the sparse mask (each video of a batch should get its own).
      future_frames: observed frames of "prediction".
      sparse_frac: draws of "sparse", as a fraction of T·H·W.
      box: hidden region ``(t0, t1, y0, y1, x0, x1)`` (half-open) of "box".

    Returns:
      f32[T, H, W] weights (0 = unobserved).
    """
    t, h, w = _check_shape(shape)
    m = np.zeros((t, h, w), np.float32)
    if task in ("all", "super-resolution"):
        m[:] = 1
    elif task == "inpainting":
        m[:, : h // 2] = 1
    elif task == "prediction":
        if not 0 < future_frames < t:
            raise MaskError(f"prediction observes k frames with 0 < k < T={t}, got {future_frames}")
        m[:future_frames] = 1
    elif task == "frame-interpolation":
        if t < 3:
            raise MaskError(f"frame interpolation needs at least 3 frames, got T={t}")
        m[[0, t - 1]] = 1
    elif task == "temporal":
        if t < 3:
            raise MaskError(f"temporal upsampling needs at least 3 frames, got T={t}")
        m[::2] = 1
    elif task == "sparse":
        if not 0 < sparse_frac <= 1:
            raise MaskError(f"sparse_frac must be in (0, 1], got {sparse_frac}")
        draws = np.random.default_rng(seed).integers(0, t * h * w, int(round(sparse_frac * m.size)))
        m = weights_from_indices(draws, (t, h, w))
    elif task == "box":
        t0, t1, y0, y1, x0, x1 = (
            (0, t, h // 4, h - h // 4, w // 4, w - w // 4) if box is None else box
        )
        m[:] = 1
        m[t0:t1, y0:y1, x0:x1] = 0
        if m.all():
            raise MaskError(f"box {box} hides no pixel of a {t}×{h}×{w} video")
    else:
        raise MaskError(f"unknown task {task!r}; choose one of {TASKS}")
    return m


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
