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

One encoder, two ways to train it, one loss:

* ``EncoderSpec`` (kind, sizes, latent size) builds the module, for the model and post hoc alike;
  an ``Encoder`` is a spec, its arrays (params, latent mean and std, Adam state when it has its
  own) and its record (``meta``).
* ``EncoderLoss`` is the loss of both ways: ``render_weight * distance(render(hyper(E(video *
  mask, mask))), video)`` on pixels of the whole clip (the hidden ones included) ``+ consistency *
  mean(((E(...) - z) / latent_std)^2)``; ``TaskMasks`` draws the observation masks of both.
* Jointly (``model.encoder.kind != "off"``, ``train.step``): the encoder is part of the model,
  its params ``params["encoder"]`` in the model's checkpoint, latent mean 0 and std
  ``model.code_init_std``; ``joint_encoder(trained)`` reads it from the checkpoint step in use.
* Post hoc (``inrv train-encoder``, ``inrv_jax.tasks.train_encoder``): the hypernetwork frozen; a
  new encoder normalises by the learned latents' mean and std, and a model trained with a joint
  encoder has it continued (fine-tuned) rather than replaced. It is stored in
  ``WORKDIR/encoder/``: ``arrays/`` (an orbax PyTree) and ``meta.json`` (its spec, the model step
  it was trained against, steps, how it was trained, losses).

``load_encoder`` reads either: ``WORKDIR/encoder`` when there is one, else the model's joint one.
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
from inrv_jax.losses import pixel_distance
from inrv_jax.settings import EncoderSettings, LossSettings, section

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

    Both ways of training draw from it (``TaskMasks``; the joint step closes over it: a compile-time constant: ~45 masks, 11 MB at
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


# ``EncoderSpec.kind`` (and ``model.encoder.kind``) -> factory (sizes, latent size) -> module of
# (video f32[B, T, H, W, 3], mask f32[B, T, H, W]) -> u f32[B, D]; "off" (no jointly trained
# encoder) is not an entry.
ENCODERS = {"video": make_encoder}
ENCODER_KINDS = ("off", *ENCODERS)


@dataclasses.dataclass(frozen=True)
class EncoderSpec:
    """What builds an encoder: ``kind`` (an ``ENCODERS`` key), ``sizes`` (its ``SIZE_KEYS`` are
    read) and ``latent_dim`` D."""

    kind: str
    sizes: EncoderSettings
    latent_dim: int

    @classmethod
    def of(cls, sizes: EncoderSettings, latent_dim: int) -> EncoderSpec:
        """The spec of ``sizes`` (``model.encoder``; its kind, "video" when it is "off": the
        kind a post-hoc encoder gets)."""
        kind = "video" if sizes.kind == "off" else sizes.kind
        return cls(kind, sizes, int(latent_dim))

    def build(self) -> nn.Module:
        return ENCODERS[self.kind](self.sizes, self.latent_dim)

    def to_meta(self) -> dict:
        return {"kind": self.kind, "sizes": sizes_of(self.sizes), "latent_dim": self.latent_dim}

    @classmethod
    def from_meta(cls, spec: dict) -> EncoderSpec:
        return cls(spec["kind"], section(EncoderSettings, spec["sizes"]), int(spec["latent_dim"]))


@dataclasses.dataclass(frozen=True)
class EncoderLoss:
    """The encoder's loss, jointly or post hoc (the module docstring's formula).

    Attributes:
      render_weight: weight of the rendering's pixel distance; consistency: weight of the latent
        term; distance: the pixel distance (``losses.PIXEL_LOSSES``; "l2" is the MSE).
    """

    render_weight: float
    consistency: float
    distance: str

    @classmethod
    def joint(cls, encoder: EncoderSettings, loss: LossSettings) -> EncoderLoss:
        """The jointly trained encoder's: ``model.encoder``'s weights, the run's distance."""
        return cls(float(encoder.weight), float(encoder.consistency), loss.distance)

    def render_term(self, pred, target) -> jnp.ndarray:
        """Mean pixel distance f32[] of renderings pred f32[B, P, 3] to target f32[B, P, 3]."""
        return pixel_distance(pred, target, self.distance).mean()

    @staticmethod
    def consistency_term(z_enc, z_target, std) -> jnp.ndarray:
        """mean(((z_enc - z_target) / std)^2) f32[] (no gradient to z_target); std f32[D] or
        f32[] is the encoder's latent std, so the term is in units of its output scale."""
        return jnp.mean(jnp.square((z_enc - jax.lax.stop_gradient(z_target)) / std))

    def total(self, render, consistency) -> jnp.ndarray:
        return self.render_weight * render + self.consistency * consistency


@dataclasses.dataclass(frozen=True, eq=False)
class TaskMasks:
    """The observation masks both ways train on: ``masks`` bool[U, T, H, W] (distinct rows of
    ``mask_bank``), ``rows`` i32[K] (``mask_bank``'s rows as indices into them)."""

    masks: np.ndarray
    rows: np.ndarray

    @classmethod
    def of(cls, shape) -> TaskMasks:
        return cls(*compact_mask_bank(tuple(shape)))

    def draw(self, key: jax.Array, num: int) -> jax.Array:
        """Masks f32[num, T, H, W] of uniformly drawn bank rows (so a uniform task)."""
        row = jax.random.randint(key, (num,), 0, len(self.rows))
        return jnp.asarray(self.masks)[jnp.asarray(self.rows)[row]].astype(jnp.float32)


@dataclasses.dataclass
class Encoder:
    """A trained encoder: ``encode(videos, masks) -> f32[B, D]`` latents.

    Attributes:
      spec: the ``EncoderSpec`` that builds its module.
      arrays: {"params", "latent_mean" f32[D], "latent_std" f32[D]} and "opt_state" (the Adam
        state of post-hoc training; a joint encoder's lives in the model's checkpoint).
      meta: its record: "spec" (``EncoderSpec.to_meta``), "training" (the ways it was trained, in
        order: "joint", "posthoc"), "model_step", "video_shape", "steps", and what post-hoc
        training adds (settings, seconds, eval_before/after, records).
    """

    spec: EncoderSpec
    arrays: dict
    meta: dict

    @property
    def module(self) -> nn.Module:
        return _module_of(self.spec)

    @property
    def latent_dim(self) -> int:
        return self.spec.latent_dim

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


@functools.lru_cache(maxsize=8)
def _module_of(spec: EncoderSpec) -> nn.Module:
    return spec.build()


def observed_input(videos, masks):
    """(videos with hidden pixels zeroed f32[B, T, H, W, 3], masks as f32 {0, 1}): what the
    encoder sees; NaNs in hidden pixels stay out too (traceable)."""
    m = (masks > 0).astype(jnp.float32)
    return jnp.where(m[..., None] > 0, videos, 0.0), m


def latents_from(module: nn.Module, params, mean, std, videos, masks):
    """Latents f32[B, D] = mean + std * module(videos * masks, masks) (traceable)."""
    return mean + std * module.apply({"params": params}, *observed_input(videos, masks))


@functools.lru_cache(maxsize=8)
def _encode_fn(module: VideoEncoder):
    return jax.jit(functools.partial(latents_from, module))


# ------------------------------------------------------------------------------------ storage
def encoder_dir(workdir) -> pathlib.Path:
    return pathlib.Path(workdir) / ENCODER_DIR


def has_encoder(workdir, trained=None) -> bool:
    """Whether ``workdir`` has a stored encoder (``WORKDIR/encoder``) or, given its ``trained``
    model (``checkpoint.TrainedModel``), that model was trained with one."""
    stored = (encoder_dir(workdir) / "meta.json").is_file()
    return stored or (trained is not None and trained.model.has_encoder)


def joint_encoder(trained) -> Encoder | None:
    """The encoder trained jointly with ``trained``'s model (``model.encoder.kind != "off"``) at
    its checkpoint step, None without one. Its ``encode`` gives ``ModelFns.encode``'s latents:
    params ``params["encoder"]``, mean 0, std the model's encoder scale."""
    model = trained.model
    if not model.has_encoder:
        return None
    dim = model.module.latent_dim
    spec = EncoderSpec.of(trained.settings.model.encoder, dim)
    arrays = {
        "params": jax.tree.map(jnp.asarray, trained.params["encoder"]),
        "latent_mean": jnp.zeros((dim,), jnp.float32),
        "latent_std": jnp.full((dim,), model.module.encoder_scale, jnp.float32),
    }
    step = int(trained.step)
    meta = {"spec": spec.to_meta(), "training": ["joint"], "model_step": step,
            "video_shape": list(trained.video_shape), "steps": step}  # fmt: skip
    return Encoder(spec, arrays, meta)


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


def migrate_meta(meta: dict) -> dict:
    """A stored ``meta.json`` in today's layout. Before the ``EncoderSpec`` (commit f5b54ad and
    earlier) it held "config" (the sizes) and "latent_dim", and every stored encoder was a
    post-hoc "video" one."""
    if "spec" in meta:
        return meta
    old = dict(meta)
    spec = {"kind": "video", "sizes": old.pop("config"), "latent_dim": old.pop("latent_dim")}
    return {"spec": spec, "training": ["posthoc"], **old}


def missing_encoder_error(workdir) -> InputError:
    return InputError(
        f"{workdir} has no trained encoder (for --init encoder): train one with "
        f"`inrv train-encoder --workdir {workdir}` (or train the model with "
        "--config.model.encoder.kind=video)"
    )


def load_encoder(workdir, step: int | None = None, dim: int | None = None, trained=None) -> Encoder:
    """The encoder of ``workdir``: the stored one (``WORKDIR/encoder``: post hoc, or a joint one
    continued post hoc), else the one trained jointly with ``trained``'s model
    (``joint_encoder``), else a ``missing_encoder_error``.

    Args:
      step: the checkpoint step of the model it will feed; a stored encoder trained against
        another step loads with a warning.
      dim: the model's latent size; another size is an error.
      trained: the workdir's ``checkpoint.TrainedModel``, for its jointly trained encoder.
    """
    path = encoder_dir(workdir)
    if not has_encoder(workdir):
        joint = None if trained is None else joint_encoder(trained)
        if joint is None:
            raise missing_encoder_error(workdir)
        return joint
    meta = migrate_meta(json.loads((path / "meta.json").read_text()))
    spec = EncoderSpec.from_meta(meta["spec"])
    if dim is not None and spec.latent_dim != dim:
        raise InputError(
            f"the encoder in {path} predicts latents of size {spec.latent_dim}, the model has "
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
    return Encoder(spec, jax.tree.map(jnp.asarray, arrays), meta)
