"""Interpolation between videos in latent space (slerp or lerp), as a grid: rows = pairs,
columns = interpolation steps, animated.

An endpoint is a training video (its index, or its path as listed in the checkpoint's manifest,
``PATH@FRAME_START`` for clips cut from one file) or an external video: any data spec
(file, folder, built-in; ``SPEC#I`` for video I of a multi-video spec), inverted first with the
plain inversion task.

CLI: ``inrv interpolate --workdir DIR --a A --b B [--a A2 --b B2 ...] --steps K
[--method slerp|lerp --frames T] [--size H,W | --scale S] --out FILE.gif|.mp4|.png|.npy``
(.gif/.mp4 also write FILE.png, the grid's first frames; .npy keeps f32[P, K, T, H, W, 3] at the
training size or --size). Pictures are rendered at S × the training height and width (S = 4 by
default) or at --size, under a caption row that says which.
"""

from __future__ import annotations

import pathlib

import jax.numpy as jnp
import numpy as np

from inrv_jax.data import DataError, Manifest
from inrv_jax.errors import InputError
from inrv_jax.latent_space import INTERPOLATORS, interpolation_path
from inrv_jax.pictures import caption
from inrv_jax.rendering import FromLatents, render
from inrv_jax.tasks.invert import run_task
from inrv_jax.tasks.videos import load_videos
from inrv_jax.video_io import tile_grid, to_uint8, write_gif, write_mp4, write_png

GRID_SUFFIXES = (".gif", ".mp4", ".png", ".npy")


def resolve_endpoints(trained, names, *, invert_steps: int = 300, seed: int = 0, log=print):
    """Latents f32[len(names), D] of endpoint names (see module doc).

    External videos are inverted together in one vectorized call.
    """
    manifest = Manifest.from_json(trained.manifest_json)
    n = trained.latents.shape[0]
    out: list = [None] * len(names)
    external: list[tuple[int, str, int]] = []
    for k, name in enumerate(names):
        name = str(name)
        if name.lstrip("-").isdigit():
            i = int(name)
            if not 0 <= i < n:
                raise InputError(
                    f"training index {i} out of range: the model has {n} videos (0..{n - 1})"
                )
            out[k] = trained.latents[i]
            continue
        try:
            out[k] = trained.latents[manifest.index_of(name)]
            continue
        except DataError as err:
            if "ambiguous" in str(err):
                raise
        spec, _, idx = name.rpartition("#") if "#" in name else (name, "", "0")
        external.append((k, spec, int(idx)))
    if external:
        videos = np.concatenate(
            [load_videos(s, trained.video_shape, indices=[i], seed=seed)[0] for _, s, i in external]
        )
        log(f"inverting {len(external)} external video(s) ({invert_steps} steps)")
        res = run_task(trained, videos, "all", steps=invert_steps, seed=seed)
        log(f"  inversion PSNR {res.summary['psnr']:.2f} dB")
        for (k, _, _), z in zip(external, res.latents, strict=True):
            out[k] = z
    return np.stack(out).astype(np.float32)


def interpolate(trained, za, zb, steps: int, method: str = "slerp", shape=None):
    """Interpolate P pairs of latents f32[P, D] in ``steps`` steps (endpoints included).

    Returns:
      (latents f32[P, K, D], videos f32[P, K, T, H, W, 3] model scale, unclipped).
    """
    za, zb = np.atleast_2d(za), np.atleast_2d(zb)
    if method not in INTERPOLATORS:
        raise InputError(f"--method {method!r}: choose one of {sorted(INTERPOLATORS)}")
    if steps < 2:
        raise InputError(f"--steps must be >= 2 (the endpoints are included), got {steps}")
    path = np.stack(
        [np.asarray(interpolation_path(jnp.asarray(a), jnp.asarray(b), steps, method))
         for a, b in zip(za, zb, strict=True)]
    )  # fmt: skip
    shape = tuple(shape or trained.video_shape)
    flat = path.reshape(-1, path.shape[-1])
    videos = render(FromLatents(trained.model, trained.params, flat), shape)
    return path, videos.reshape(*path.shape[:2], *videos.shape[1:])


def save_grid(out, videos: np.ndarray, fps: int = 8, title: str | None = None):
    """Write the grid f32[P, K, T, H, W, 3] to OUT (.gif/.mp4 animated + a .png, .png, .npy);
    pictures get ``title`` as a caption row above the grid. Returns the written paths."""
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".npy":
        np.save(out, np.asarray(videos, np.float32))
        return [out]
    frames = tile_grid(to_uint8(videos))  # [T, rows, cols, 3]
    if title:
        frames = caption(frames, title)
    written = []
    if suffix == ".gif":
        write_gif(out, frames, fps)
        written.append(out)
    elif suffix == ".mp4":
        write_mp4(out, frames, fps)
        written.append(out)
    elif suffix != ".png":
        raise InputError(f"--out {out} must end in {', '.join(GRID_SUFFIXES)}")
    png = out.with_suffix(".png")
    write_png(png, frames[0])
    return [*written, png]
