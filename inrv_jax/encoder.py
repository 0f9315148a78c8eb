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
import numpy as np
import orbax.checkpoint as ocp

from inrv_jax import masks as masks_lib
from inrv_jax.errors import InputError
from inrv_jax.settings import EncoderSettings, section

ENCODER_DIR = "encoder"
# The tasks whose masks the encoder learns from (tasks on the video's own grid only).
TRAIN_TASKS = ("all", "inpainting", "prediction", "frame-interpolation", "temporal", "sparse",
               "box")  # fmt: skip
SPARSE_DRAWS = 16  # sparse masks of different seeds in the bank


# The encoder's sizes among ``EncoderSettings`` (``model.encoder``): ``patch`` (side of the
# non-overlapping patches the first layer embeds), ``stem`` (their width), ``widths`` (one
# stride-2 3x3 conv stage each), ``temporal`` (kernel of the temporal conv, frames), ``head`` (MLP
# hidden). A patch embedding rather than a full-resolution conv stem: XLA's CPU convolutions are
# slow (a 3x3 stem at 32x32 made a training step ~5x slower) and the latent is 64-128 numbers.
SIZE_KEYS = ("patch", "stem", "widths", "temporal", "head")


def default_config() -> EncoderSettings:
    """The default sizes (``model.encoder``'s defaults)."""
    return EncoderSettings()


def sizes_of(sizes: EncoderSettings) -> dict:
    """The sizes as stored in an encoder's ``meta.json`` (``"config"``)."""
    return {k: getattr(sizes, k) for k in SIZE_KEYS}


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


def mask_bank(shape) -> tuple[np.ndarray, list[str]]:
    """Binary masks f32[K, T, H, W] of ``TRAIN_TASKS`` (each task the same number of rows, so a
    uniform row is a uniform task) and the task of each row."""
    t = shape[0]
    per_task = {}
    for name in TRAIN_TASKS:
        task = masks_lib.get_task(name)
        if name == "prediction":
            options = [masks_lib.TaskOptions(future_frames=k) for k in range(1, t)]
        elif name == "sparse":
            options = [masks_lib.TaskOptions(seed=s) for s in range(SPARSE_DRAWS)]
        else:
            options = [masks_lib.TaskOptions()]
        try:
            per_task[name] = [(task.mask(tuple(shape), o) > 0).astype(np.float32) for o in options]
        except masks_lib.MaskError:  # e.g. frame interpolation of 2-frame clips
            continue
    rows = max(len(v) for v in per_task.values())
    bank, names = [], []
    for name, ms in per_task.items():
        bank += [ms[i % len(ms)] for i in range(rows)]
        names += [name] * rows
    return np.stack(bank), names


@functools.lru_cache(maxsize=4)
def compact_mask_bank(shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``mask_bank`` without its repeated rows: (distinct masks bool[U, T, H, W], row i32[K]) with
    ``bank[k] == distinct[row[k]]``, so a uniform ``k`` is still a uniform task.

    The joint train step closes over it (a compile-time constant: ~45 masks, 11 MB at
    25x100x100, where the repeated float bank would be 168 MB)."""
    bank, _ = mask_bank(shape)
    flat = bank.reshape(len(bank), -1) > 0
    distinct, row = np.unique(flat, axis=0, return_inverse=True)
    distinct, row = distinct.reshape(-1, *bank.shape[1:]), row.reshape(-1).astype(np.int32)
    distinct.flags.writeable = row.flags.writeable = False  # cached: shared by every caller
    return distinct, row


def make_encoder(sizes: EncoderSettings, latent_dim: int) -> VideoEncoder:
    """The ``VideoEncoder`` of ``sizes`` for latents of ``latent_dim``."""
    return VideoEncoder(latent_dim=int(latent_dim), **sizes_of(sizes))


# ``model.encoder.kind`` -> factory (encoder config, latent size) -> module of (video f32[B, T, H,
# W, 3], mask f32[B, T, H, W]) -> u f32[B, D]; "off" (no jointly trained encoder) is not an entry.
ENCODERS = {"video": make_encoder}
ENCODER_KINDS = ("off", *ENCODERS)


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


def has_encoder(workdir, trained=None) -> bool:
    """Whether ``workdir`` has a post-hoc encoder (``inrv train-encoder``) or, given its
    ``trained`` model (``checkpoint.TrainedModel``), that model was trained with one."""
    posthoc = (encoder_dir(workdir) / "meta.json").is_file()
    return posthoc or (trained is not None and trained.model.has_encoder)


def joint_encoder(trained) -> Encoder | None:
    """The encoder trained jointly with ``trained``'s model (``model.encoder.kind != "off"``),
    None without one. Its ``encode`` gives ``ModelFns.encode``'s latents: mean 0 and std the
    model's encoder scale, params ``params["encoder"]``; it has no ``opt_state`` (that lives in
    the model's checkpoint)."""
    model = trained.model
    if not model.has_encoder:
        return None
    inrv, cfg = model.module, trained.settings.model.encoder
    dim = inrv.latent_dim
    module = ENCODERS[inrv.encoder_kind](cfg, dim)
    arrays = {
        "params": jax.tree.map(jnp.asarray, trained.params["encoder"]),
        "latent_mean": jnp.zeros((dim,), jnp.float32),
        "latent_std": jnp.full((dim,), inrv.encoder_scale, jnp.float32),
    }
    meta = {
        "config": sizes_of(cfg),
        "latent_dim": dim,
        "video_shape": list(trained.video_shape),
        "model_step": int(trained.step),
        "steps": int(trained.step),
        "joint": True,
    }
    return Encoder(module, arrays, meta)


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
        f"`inrv train-encoder --workdir {workdir}` (or train the model with "
        "--config.model.encoder.kind=video)"
    )


def load_encoder(workdir, step: int | None = None, dim: int | None = None, trained=None) -> Encoder:
    """The encoder of ``workdir``: its post-hoc one (``WORKDIR/encoder``), else the one trained
    jointly with ``trained``'s model (``joint_encoder``), else a ``missing_encoder_error``.

    Args:
      step: the checkpoint step of the model it will feed; an encoder trained against another
        step loads with a warning.
      dim: the model's latent size; another size is an error.
      trained: the workdir's ``checkpoint.TrainedModel``, for its jointly trained encoder.
    """
    path = encoder_dir(workdir)
    if not has_encoder(workdir):
        joint = None if trained is None else joint_encoder(trained)
        if joint is None:
            raise missing_encoder_error(workdir)
        return joint
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
    module = make_encoder(section(EncoderSettings, meta["config"]), meta["latent_dim"])
    return Encoder(module, jax.tree.map(jnp.asarray, arrays), meta)
