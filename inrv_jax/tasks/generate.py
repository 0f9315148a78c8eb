"""Novel videos from the latent space by the official protocols (``random``,
``random-interpolated``; see ``inrv_jax.latent_space``).

CLI: ``inrv generate --workdir DIR --mode random|random-interpolated --num N --out DIR
[--frames T --size H,W --seed S]`` writes ``sample_NNN.mp4``, ``grid.png`` (first frames… all
frames of every sample, one row per sample), ``grid.gif`` (animated tiles) and ``latents.npy``.
"""

from __future__ import annotations

import math
import pathlib

import jax
import numpy as np

from inrv_jax.checkpoint import load_trained
from inrv_jax.data.parsing import parse_ints
from inrv_jax.errors import InputError
from inrv_jax.latent_space import sample_latents
from inrv_jax.tasks.render import render_latents, resolve_shape
from inrv_jax.video_io import save_video, tile_grid, to_uint8, write_gif, write_png


def generate(trained, mode: str, num: int, shape=None, seed: int = 0, batch: int = 16):
    """Sample ``num`` latents and render them.

    Args:
      trained: a ``TrainedModel``.
      mode: "random" or "random-interpolated".
      shape: (T, H, W), default the training clip shape.

    Returns:
      (latents f32[num, D], videos f32[num, T, H, W, 3] in model scale, unclipped).
    """
    if num < 1:
        raise InputError(f"--num must be >= 1, got {num}")
    z = np.asarray(sample_latents(jax.random.key(seed), trained.latents, num, mode))
    shape = tuple(shape or trained.video_shape)
    return z, render_latents(trained, z, shape, batch=batch)


def grid_layout(videos_u8: np.ndarray, cols: int | None = None) -> np.ndarray:
    """u8[N, T, H, W, 3] -> u8[R, C, T, H, W, 3] (near-square, blank-padded)."""
    n = videos_u8.shape[0]
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    pad = np.full((rows * cols - n, *videos_u8.shape[1:]), 255, np.uint8)
    return np.concatenate([videos_u8, pad]).reshape(rows, cols, *videos_u8.shape[1:])


def write_outputs(out, videos: np.ndarray, fps: int = 8, prefix: str = "sample") -> list:
    """Write one mp4 per video and grid.png / grid.gif. Returns the written paths."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [save_video(out / f"{prefix}_{i:03d}.mp4", v, fps) for i, v in enumerate(videos)]
    u8 = to_uint8(videos)
    # png: one row per sample, its frames left to right (a storyboard); gif: animated tiles.
    write_png(out / "grid.png", _storyboard(u8))
    write_gif(out / "grid.gif", tile_grid(grid_layout(u8)), fps)
    return [*paths, out / "grid.png", out / "grid.gif"]


def _storyboard(u8: np.ndarray) -> np.ndarray:
    """u8[N, T, H, W, 3] -> one image u8[N*(H+2)-2, T*(W+2)-2, 3]: rows = videos, cols = frames."""
    return tile_grid(u8[:, :, None])[0]


def run(args) -> int:
    tm = load_trained(args.workdir, args.step)
    shape = resolve_shape(tm, args.frames, parse_ints(args.size, 2, "--size"))
    z, videos = generate(tm, args.mode, args.num, shape, args.seed)
    out = pathlib.Path(args.out)
    write_outputs(out, videos, args.fps)
    np.save(out / "latents.npy", z)
    print(f"wrote {args.num} {args.mode} samples ({shape[0]}×{shape[1]}×{shape[2]}) to {out}")
    return 0
