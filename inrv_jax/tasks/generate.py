"""Novel videos from the latent space by the official protocols (``random``,
``random-interpolated``; see ``inrv_jax.latent_space``).

Learned priors (``inrv_jax.prior``): ``--mode prior:KIND`` samples the KIND prior fitted by
``inrv fit-prior`` in the workdir; ``--mode prior`` the first fitted one in the order gaussian,
gmm, flow.

CLI: ``inrv generate --workdir DIR --mode random|random-interpolated|prior[:KIND] --num N --out DIR
[--frames T] [--size H,W | --scale S] [--seed S]`` writes ``sample_NNN_4x.mp4``, ``grid_4x.png``
(all frames of every sample, one row per sample), ``grid_4x.gif`` (animated tiles) and
``latents.npy``. Pictures are rendered at S × the training height and width (S = 4 by default, the
``_4x`` in their names) or at --size (then the names carry no scale).
"""

from __future__ import annotations

import math
import pathlib

import jax
import numpy as np

from inrv_jax.errors import InputError
from inrv_jax.latent_space import GENERATION_MODES, sample_latents
from inrv_jax.pictures import scale_tag
from inrv_jax.prior import KINDS, sample_prior
from inrv_jax.prior.store import fitted_kinds, load_prior
from inrv_jax.rendering import FromLatents, RenderSettings, render
from inrv_jax.video_io import save_video, tile_grid, to_uint8, write_gif, write_png


def generate(
    trained, mode: str, num: int, shape=None, seed: int = 0, batch: int = 16, workdir=None
):
    """Sample ``num`` latents and render them.

    Args:
      trained: a ``TrainedModel``.
      mode: "random", "random-interpolated", "prior" or "prior:KIND".
      shape: (T, H, W), default the training clip shape.
      workdir: where the priors of the prior modes are (``trained``'s workdir).

    Returns:
      (latents f32[num, D], videos f32[num, T, H, W, 3] in model scale, unclipped).
    """
    if num < 1:
        raise InputError(f"--num must be >= 1, got {num}")
    z = sample_mode(trained, mode, num, seed, workdir)
    shape = tuple(shape or trained.video_shape)
    return z, render(
        FromLatents(trained.model, trained.params, z), shape, RenderSettings(batch=batch)
    )


def sample_mode(trained, mode: str, num: int, seed: int = 0, workdir=None) -> np.ndarray:
    """``num`` latents f32[num, D] of ``mode`` (see ``generate``)."""
    if mode in GENERATION_MODES:
        return np.asarray(sample_latents(jax.random.key(seed), trained.latents, num, mode))
    kind = prior_kind(mode, workdir)
    prior = load_prior(workdir, kind, step=trained.step, dim=trained.latents.shape[1])
    return sample_prior(prior, num, seed)


def prior_kind(mode: str, workdir) -> str:
    """The prior kind of a ``prior[:KIND]`` mode (``prior``: the first fitted one)."""
    kind = mode.removeprefix("prior:") if mode.startswith("prior:") else None
    if mode != "prior" and kind not in KINDS:
        modes = [*GENERATION_MODES, "prior", *(f"prior:{k}" for k in KINDS)]
        raise InputError(f"generation mode {mode!r} unknown; use one of {', '.join(modes)}")
    if workdir is None:
        raise InputError(f"mode {mode!r} samples a fitted prior: pass the model's workdir")
    if kind is None:
        fitted = fitted_kinds(workdir)
        if not fitted:
            raise InputError(
                f"no prior fitted in {workdir}: fit one with "
                f"`inrv fit-prior --workdir {workdir} --kind {'|'.join(KINDS)}`"
            )
        kind = fitted[0]
    return kind


def grid_layout(videos_u8: np.ndarray, cols: int | None = None) -> np.ndarray:
    """u8[N, T, H, W, 3] -> u8[R, C, T, H, W, 3] (near-square, blank-padded)."""
    n = videos_u8.shape[0]
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    pad = np.full((rows * cols - n, *videos_u8.shape[1:]), 255, np.uint8)
    return np.concatenate([videos_u8, pad]).reshape(rows, cols, *videos_u8.shape[1:])


def write_outputs(
    out, videos: np.ndarray, fps: int = 8, prefix: str = "sample", scale: int = 1
) -> list:
    """Write one mp4 per video and grid.png / grid.gif; names carry ``scale``, the videos'
    size relative to the training size (``sample_000_4x.mp4``, ``grid_4x.png`` for 4).
    Returns the written paths."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tag = scale_tag(scale)
    paths = [save_video(out / f"{prefix}_{i:03d}{tag}.mp4", v, fps) for i, v in enumerate(videos)]
    u8 = to_uint8(videos)
    # png: one row per sample, its frames left to right (a storyboard); gif: animated tiles.
    png, gif = out / f"grid{tag}.png", out / f"grid{tag}.gif"
    write_png(png, _storyboard(u8))
    write_gif(gif, tile_grid(grid_layout(u8)), fps)
    return [*paths, png, gif]


def _storyboard(u8: np.ndarray) -> np.ndarray:
    """u8[N, T, H, W, 3] -> one image u8[N*(H+2)-2, T*(W+2)-2, 3]: rows = videos, cols = frames."""
    return tile_grid(u8[:, :, None])[0]
