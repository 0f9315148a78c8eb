"""Visual outputs of a run: reconstructions, novel samples and an interpolation grid.

Everything is written under ``WORKDIR/samples/`` as mp4 + gif (+ png strips/grids) and to
TensorBoard as images. The same functions serve the trainer's interval samples and the
end-of-run outputs README's main command promises.
"""

from __future__ import annotations

import pathlib

import jax
import numpy as np

from inrv_jax.latent_space import interpolation_path, sample_latents
from inrv_jax.video_io import save_video, tile_grid, to_uint8, write_gif, write_mp4, write_png


def _save_all(base: pathlib.Path, video: np.ndarray, fps: int) -> list[pathlib.Path]:
    return [save_video(base.with_suffix(s), video, fps) for s in (".mp4", ".gif", ".png")]


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
) -> dict[str, list[pathlib.Path]]:
    """Write reconstructions (next to their targets), novel videos and an interpolation grid.

    Args:
      latents: f32[N, D] learned latents (the first ``len(targets)`` are reconstructed).
      targets: f32[K, T, H, W, 3] ground truth of the reconstructed videos.

    Returns:
      {"reconstructions": [...], "samples": [...], "interpolation": [...]} written paths.
    """
    out = pathlib.Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    sfx = f"_{tag}" if tag else ""
    written: dict[str, list[pathlib.Path]] = {
        "reconstructions": [],
        "samples": [],
        "interpolation": [],
    }
    k = len(targets)
    recon = np.asarray(model.render_videos(params, latents[:k], video_shape, chunk))
    pair = np.stack([to_uint8(targets), to_uint8(recon)], axis=0)  # [2, K, T, H, W, 3]
    grid = tile_grid(pair)  # rows: target / reconstruction
    write_mp4(out / f"reconstructions{sfx}.mp4", grid, fps)
    write_gif(out / f"reconstructions{sfx}.gif", grid, fps)
    write_png(out / f"reconstructions{sfx}.png", grid[0])
    written["reconstructions"] += [out / f"reconstructions{sfx}.{e}" for e in ("mp4", "gif", "png")]

    key = jax.random.key(seed)
    mode = "random-interpolated" if len(latents) >= 2 else "random"
    z = sample_latents(key, latents, num_samples, mode)
    novel = np.asarray(model.render_videos(params, z, video_shape, chunk))
    for i, video in enumerate(novel):
        written["samples"] += _save_all(out / f"sample_{i:02d}{sfx}", video, fps)

    if len(latents) >= 2:
        rows = []
        num_pairs = min(3, len(latents) // 2)
        for p in range(num_pairs):
            path = interpolation_path(latents[2 * p], latents[2 * p + 1], 6, "slerp")
            rows.append(to_uint8(np.asarray(model.render_videos(params, path, video_shape, chunk))))
        grid = tile_grid(np.stack(rows))  # rows = pairs, columns = interpolation steps
        write_mp4(out / f"interpolation{sfx}.mp4", grid, fps)
        write_gif(out / f"interpolation{sfx}.gif", grid, fps)
        write_png(out / f"interpolation{sfx}.png", grid[0])
        written["interpolation"] += [out / f"interpolation{sfx}.{e}" for e in ("mp4", "gif", "png")]
    return written
