"""Render a training video (its learned latent) or any latent at any (T, H, W).

CLI: ``inrv render --workdir DIR (--index I | --latent Z.npy) [--frames T] [--size H,W | --scale S]
--out OUT`` where OUT ends in .npy (raw float32 model output, [-1, 1] scale, unclipped, T×H×W×3, at
the training size or --size), .mp4, .gif or .png (pictures: clipped and quantised, at --size, else
at S × the training height and width, S = 4 by default). More frames or pixels than training used
give temporal upsampling and super-resolution for free (the INR is continuous).
"""

from __future__ import annotations

import pathlib

import numpy as np

from inrv_jax.errors import InputError
from inrv_jax.pictures import PICTURE_SCALE, check_scale


def resolve_shape(trained, frames: int | None, size) -> tuple[int, int, int]:
    """(T, H, W) from optional overrides, defaulting to the training clip shape."""
    t, h, w = trained.video_shape
    if size is not None:
        h, w = size
    t = frames or t
    if min(t, h, w) < 1:
        raise InputError(f"--frames/--size must be positive, got T, H, W = {(t, h, w)}")
    return int(t), int(h), int(w)


def picture_shape(trained, frames: int | None, size, scale: int | None):
    """(T, H, W) of pictures for people, and their scale relative to the training size.

    ``size`` (H, W) sets it exactly (scale 1: the caller asked for that size); otherwise
    ``scale`` (default ``PICTURE_SCALE``) times the training height and width. Arrays for programs
    (.npy) use ``resolve_shape`` instead and stay at the training size.

    Returns:
      ((T, H, W), scale).
    """
    if size is not None and scale is not None:
        raise InputError("--size and --scale both set the picture size: give one of them")
    if size is not None:
        return resolve_shape(trained, frames, size), 1
    scale = check_scale(PICTURE_SCALE if scale is None else scale)
    t, h, w = resolve_shape(trained, frames, None)
    return (t, h * scale, w * scale), scale


def output_shape(trained, out, frames: int | None, size, scale: int | None):
    """((T, H, W), scale) of an output file: an array (.npy, for programs) at the training size or
    ``size`` (``resolve_shape``); a picture at ``picture_shape``."""
    if pathlib.Path(out).suffix.lower() != ".npy":
        return picture_shape(trained, frames, size, scale)
    if scale is not None:
        raise InputError(
            f"--scale sizes pictures (.mp4/.gif/.png) but {out} is an array, which keeps the "
            "training size: drop --scale, or give --size"
        )
    return resolve_shape(trained, frames, size), 1


def scale_note(shape, scale: int) -> str:
    """The words "8x128x128, 4x the training size" for messages and captions (ASCII: Pillow's
    fallback bitmap font has no multiplication sign)."""
    size = "x".join(str(int(n)) for n in shape)
    return f"{size}, {scale}x the training size" if scale != 1 else size


def latent_of(trained, index: int | None = None, latent_path=None) -> np.ndarray:
    """The latent f32[D] of training video ``index`` or read from a .npy (f32[D] or [1, D])."""
    if (index is None) == (latent_path is None):
        raise InputError("give exactly one of --index or --latent")
    if index is not None:
        n = trained.latents.shape[0]
        if not 0 <= index < n:
            raise InputError(
                f"--index {index}: the checkpoint has {n} training videos (0..{n - 1})"
            )
        return np.asarray(trained.latents[index], np.float32)
    try:
        z = np.asarray(np.load(latent_path, allow_pickle=False), np.float32)
    except FileNotFoundError:
        raise InputError(f"--latent {latent_path} does not exist") from None
    except (OSError, ValueError) as e:
        raise InputError(f"--latent {latent_path} is not a .npy array of numbers ({e})") from None
    d = trained.latents.shape[1]
    if z.shape not in ((d,), (1, d)):
        raise InputError(
            f"--latent {latent_path} has shape {z.shape}; the model's latents are [{d}]"
        )
    return z.reshape(d)
