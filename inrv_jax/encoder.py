"""A video encoder for amortized inversion: (observed video, observation mask) -> latent.

``VideoEncoder`` is factorized: a patch embedding and a small 2-D conv stack (stride 2 per
stage) run on every frame, a temporal conv mixes neighbouring frames, and global mean + max
pooling over (T, h, w) feeds an MLP head, so it runs at any (T, H, W). Its input is ``concat(video * mask, mask, coords)``:
unobserved pixels are zeroed before the first layer, so they cannot change the output, and the
coordinate channels (t, h, w in [-1, 1]) tell the pooled features *where* the observations were
(which frames a prediction task saw, say).

The head predicts a normalized latent ``u``; the latent is ``mean + std * u`` with the mean and
per-dimension std of the learned latents it was trained against (they live next to its params),
so the head works at unit scale whatever the latents' scale (~0.02 in a trained model).

On disk (``WORKDIR/encoder/``, next to the model's checkpoints): ``arrays/`` (an orbax PyTree of
params, Adam state, latent mean and std) and ``meta.json`` (config, the model step it was trained
against, steps, losses). ``inrv train-encoder`` writes it (``inrv_jax.tasks.train_encoder``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import pathlib
import shutil
import warnings

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import orbax.checkpoint as ocp

from inrv_jax.errors import InputError

ENCODER_DIR = "encoder"


def default_config() -> ml_collections.ConfigDict:
    """Sizes of the encoder: ``patch`` (side of the non-overlapping patches the first layer
    embeds), ``stem`` (their width), ``widths`` (one stride-2 3x3 conv stage each),
    ``temporal`` (kernel of the temporal conv, frames), ``head`` (MLP hidden).

    A patch embedding rather than a full-resolution conv stem: XLA's CPU convolutions are slow
    (a 3x3 stem at 32x32 made a training step ~5x slower) and the latent is 64-128 numbers."""
    return ml_collections.ConfigDict(
        {"patch": 4, "stem": 64, "widths": (64, 128), "temporal": 3, "head": 256}
    )


class VideoEncoder(nn.Module):
    """(video f32[B, T, H, W, 3] in [-1, 1], mask f32[B, T, H, W] in {0, 1}) -> u f32[B, D].

    ``u`` is the normalized latent (see the module docstring).
    """

    latent_dim: int
    patch: int = 4
    stem: int = 64
    widths: tuple[int, ...] = (64, 128)
    temporal: int = 3
    head: int = 256

    @nn.compact
    def __call__(self, video, mask):
        b, t, h, w, _ = video.shape
        m = mask[..., None].astype(video.dtype)
        grid = jnp.stack(
            jnp.meshgrid(*(jnp.linspace(-1.0, 1.0, n) for n in (t, h, w)), indexing="ij"), -1
        )  # [T, H, W, 3]
        x = jnp.concatenate([video * m, m, jnp.broadcast_to(grid, (b, t, h, w, 3))], -1)
        x = x.reshape(b * t, h, w, x.shape[-1])  # frames are independent in the 2-D stack
        p = max(1, min(self.patch, h, w))  # small clips: smaller patches
        x = nn.relu(nn.Conv(self.stem, (p, p), strides=p, padding="VALID", name="stem")(x))
        for i, width in enumerate(self.widths):
            x = nn.relu(nn.Conv(width, (3, 3), strides=2, name=f"stage{i}")(x))
        x = x.reshape(b, t, *x.shape[1:])  # [B, T, h', w', C]
        x = nn.relu(nn.Conv(x.shape[-1], (self.temporal, 1, 1), name="temporal")(x))
        pooled = jnp.concatenate([x.mean(axis=(1, 2, 3)), x.max(axis=(1, 2, 3))], -1)
        y = nn.relu(nn.Dense(self.head, name="head")(pooled))
        # Zero init: an untrained encoder predicts the mean latent (the ``mean`` inversion init).
        return nn.Dense(self.latent_dim, kernel_init=nn.initializers.zeros, name="out")(y)


def make_encoder(cfg: ml_collections.ConfigDict, latent_dim: int) -> VideoEncoder:
    return VideoEncoder(
        latent_dim=int(latent_dim),
        patch=int(cfg.patch),
        stem=int(cfg.stem),
        widths=tuple(int(x) for x in cfg.widths),
        temporal=int(cfg.temporal),
        head=int(cfg.head),
    )


@dataclasses.dataclass
class Encoder:
    """A trained encoder: ``encode(videos, masks) -> f32[B, D]`` latents.

    Attributes:
      module: the ``VideoEncoder``.
      arrays: {"params", "opt_state", "latent_mean" f32[D], "latent_std" f32[D]}.
      meta: what ``meta.json`` holds (config, model_step, video_shape, steps, losses, ...).
    """

    module: VideoEncoder
    arrays: dict
    meta: dict

    @property
    def latent_dim(self) -> int:
        return self.module.latent_dim

    def encode(self, videos, masks, batch: int = 64) -> np.ndarray:
        """Latents f32[B, D] of videos f32[B, T, H, W, 3] observed where masks f32[B, T, H, W] > 0
        (unobserved pixels are ignored, whatever they hold)."""
        videos = np.asarray(videos, np.float32)
        masks = (np.asarray(masks) > 0).astype(np.float32)
        fn = _encode_fn(self.module)
        a = self.arrays
        out = [
            np.asarray(fn(a["params"], a["latent_mean"], a["latent_std"], v, m))
            for v, m in zip(_chunks(videos, batch), _chunks(masks, batch), strict=True)
        ]
        return np.concatenate(out)


def _chunks(x: np.ndarray, size: int):
    return [x[i : i + size] for i in range(0, len(x), size)]


def latents_from(module: VideoEncoder, params, mean, std, videos, masks):
    """Latents f32[B, D] = mean + std * module(videos * masks, masks) (traceable)."""
    video = jnp.where(masks[..., None] > 0, videos, 0.0)  # NaNs in hidden pixels stay out too
    return mean + std * module.apply({"params": params}, video, masks)


@functools.lru_cache(maxsize=8)
def _encode_fn(module: VideoEncoder):
    return jax.jit(functools.partial(latents_from, module))


# ------------------------------------------------------------------------------------ storage
def encoder_dir(workdir) -> pathlib.Path:
    return pathlib.Path(workdir) / ENCODER_DIR


def has_encoder(workdir) -> bool:
    return (encoder_dir(workdir) / "meta.json").is_file()


def save_encoder(workdir, encoder: Encoder) -> pathlib.Path:
    """Write ``encoder`` to ``WORKDIR/encoder`` (replacing one there); returns the directory."""
    path = encoder_dir(workdir)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    with ocp.PyTreeCheckpointer() as ckpt:
        ckpt.save((path / "arrays").absolute(), jax.tree.map(np.asarray, encoder.arrays))
    # meta.json last: its presence marks a complete encoder (has_encoder).
    (path / "meta.json").write_text(json.dumps(encoder.meta, indent=1))
    return path


def missing_encoder_error(workdir) -> InputError:
    return InputError(
        f"{workdir} has no trained encoder (for --init encoder): train one with "
        f"`inrv train-encoder --workdir {workdir}`"
    )


def load_encoder(workdir, step: int | None = None, dim: int | None = None) -> Encoder:
    """The encoder of ``workdir``.

    Args:
      step: the checkpoint step of the model it will feed; an encoder trained against another
        step loads with a warning.
      dim: the model's latent size; another size is an error.
    """
    path = encoder_dir(workdir)
    if not has_encoder(workdir):
        raise missing_encoder_error(workdir)
    meta = json.loads((path / "meta.json").read_text())
    if dim is not None and meta["latent_dim"] != dim:
        raise InputError(
            f"the encoder in {path} predicts latents of size {meta['latent_dim']}, the model has "
            f"{dim}: train it again with `inrv train-encoder --workdir {workdir}`"
        )
    if step is not None and meta["model_step"] != step:
        warnings.warn(
            f"the encoder in {path} was trained against the model of step {meta['model_step']}, "
            f"the model is step {step}: continue it with `inrv train-encoder --workdir {workdir}`",
            stacklevel=2,
        )
    with ocp.PyTreeCheckpointer() as ckpt:
        arrays = ckpt.restore((path / "arrays").absolute())
    module = make_encoder(ml_collections.ConfigDict(meta["config"]), meta["latent_dim"])
    return Encoder(module, jax.tree.map(jnp.asarray, arrays), meta)
