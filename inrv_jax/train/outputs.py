"""Visual outputs of a run: reconstructions, novel samples and an interpolation grid.

Everything is written under ``WORKDIR/samples/`` as mp4 + gif (+ png strips/grids) and to
TensorBoard as images. Pictures are rendered at ``scale`` times the training height and width
(default 4: the INR is continuous) and named for it (``reconstructions_4x.png``); the ground truth
beside a reconstruction is upsampled by nearest neighbour and labelled so. The same functions
serve the trainer's interval samples and the end-of-run outputs README's main command promises.
"""

from __future__ import annotations

import pathlib

import jax
import numpy as np

from inrv_jax.latent_space import interpolation_path, sample_latents
from inrv_jax.pictures import PICTURE_SCALE, check_scale, scale_tag, side_by_side
from inrv_jax.rendering import FromLatents, RenderSettings, render
from inrv_jax.video_io import save_video, tile_grid, to_uint8, write_animation


def _save_all(base: pathlib.Path, video: np.ndarray, fps: int) -> list[pathlib.Path]:
    return [
        save_video(base.parent / f"{base.name}{s}", video, fps) for s in (".mp4", ".gif", ".png")
    ]


def write_samples(
    outdir,
    model,
    params,
    latents: np.ndarray,
    targets: np.ndarray,
    video_shape,
    *,
    num_samples: int,
    seed: int,
    chunk: int,
    tag: str = "",
    fps: int = 8,
    scale: int = PICTURE_SCALE,
) -> dict[str, list[pathlib.Path]]:
    """Write reconstructions (beside their targets), novel videos and an interpolation grid,
    rendered at ``scale`` × the training height and width.

    Args:
      latents: f32[N, D] learned latents (the first ``len(targets)`` are reconstructed).
      targets: f32[K, T, H, W, 3] ground truth of the reconstructed videos (shown upsampled
        nearest to ``scale`` × H, W).
      video_shape: (T, H, W) training clip shape.
      chunk: coordinates per rendering chunk (memory stays bounded at any ``scale``).
      scale: picture scale (integer >= 1); file names carry it (``reconstructions_4x.png``).

    Returns:
      {"reconstructions": [...], "samples": [...], "interpolation": [...]} written paths
      (mp4, gif, png for each picture).
    """
    scale = check_scale(scale)
    out = pathlib.Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    name = f"{scale_tag(scale)}{f'_{tag}' if tag else ''}"
    t, h, w = (int(x) for x in video_shape)
    shape = (t, h * scale, w * scale)
    written: dict[str, list[pathlib.Path]] = {
        "reconstructions": [],
        "samples": [],
        "interpolation": [],
    }
    k = len(targets)
    recon = render(FromLatents(model, params, latents[:k]), shape, RenderSettings(chunk))
    grid = side_by_side([("target", targets), (f"render {scale}x", recon)])  # rows = videos
    written["reconstructions"] = write_animation(out / f"reconstructions{name}", grid, fps)

    if num_samples > 0:  # train.num_samples=0: no novel videos
        novel = _render_novel(model, params, latents, shape, chunk, num_samples, seed)
        for i, video in enumerate(novel):
            written["samples"] += _save_all(out / f"sample_{i:02d}{name}", video, fps)

    if len(latents) >= 2:
        grid = _render_interpolation_grid(model, params, latents, shape, chunk)
        written["interpolation"] = write_animation(out / f"interpolation{name}", grid, fps)
    return written


def _render_novel(model, params, latents, shape, chunk: int, num: int, seed: int) -> np.ndarray:
    """``num`` novel videos f32[num, *shape, 3] of latents sampled from ``latents`` f32[N, D]:
    on slerps between random pairs when N >= 2, else from their per-dimension Gaussian."""
    key = jax.random.key(seed)
    mode = "random-interpolated" if len(latents) >= 2 else "random"
    z = sample_latents(key, latents, num, mode)
    return render(FromLatents(model, params, z), shape, RenderSettings(chunk))


def _render_interpolation_grid(model, params, latents, shape, chunk: int) -> np.ndarray:
    """Slerp paths of 6 steps between up to P = 3 pairs of ``latents`` f32[N >= 2, D] (0-1,
    2-3, 4-5), rendered at ``shape`` (T, H', W') and tiled (``tile_grid``) into one video
    u8[T, ~P*H', ~6*W', 3]: a row per pair, a column per step."""
    rows = []
    num_pairs = min(3, len(latents) // 2)
    for p in range(num_pairs):
        path = interpolation_path(latents[2 * p], latents[2 * p + 1], 6, "slerp")
        rows.append(
            to_uint8(render(FromLatents(model, params, path), shape, RenderSettings(chunk)))
        )
    return tile_grid(np.stack(rows))  # rows = pairs, columns = interpolation steps
