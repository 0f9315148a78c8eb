"""The INR-V model: codebook (one code per training video) + conditioner + hypernetwork.

``INRV`` is a Flax module with three entry points:

* ``latents(index, features, train)`` -> (z f32[B, latent], kl f32[B]): the latent actually
  fed to the hypernetwork for training videos ``index`` (after the conditional merge when
  conditioning is on; a reparameterised sample when the KL prior is on, its mean otherwise).
* ``hyper(z)`` -> INR parameter tree with leading B: any latent, e.g. a novel sample.
* ``encode(video, mask)`` -> z f32[B, latent]: the jointly trained video encoder's latent of
  a partly observed video (only when ``model.encoder.kind != "off"``; its params are
  ``params["encoder"]``, so models without one keep their parameter tree and checkpoints).
* ``__call__(index, features, train)`` = hyper(latents(...)).

Rendering is separate and pure: ``inr.render_chunked(model.hyper(z), coords, inr_spec)``.
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp

from inrv_jax.conditioning import CONDITIONING_KINDS, Conditioner
from inrv_jax.encoder import ENCODER_KINDS, EncoderSpec, observed_input
from inrv_jax.hypernet import make_hypernet
from inrv_jax.inr import INRSpec, render_chunked
from inrv_jax.settings import ModelSettings


def resolve_latent_dim(latent_dim, num_videos: int) -> int:
    """Official rule for ``"auto"``: 128 for datasets over 2,000 videos, 64 otherwise."""
    if latent_dim == "auto":
        return 128 if num_videos > 2000 else 64
    return int(latent_dim)


class INRV(nn.Module):
    """Codebook + conditioner + hypernetwork (see module docstring).

    Attributes:
      cfg: the ``model`` settings.
      num_videos: rows of the codebook.
    """

    cfg: ModelSettings
    num_videos: int

    @property
    def inr_spec(self) -> INRSpec:
        return INRSpec.from_settings(self.cfg.inr)

    @property
    def latent_dim(self) -> int:
        return resolve_latent_dim(self.cfg.latent_dim, self.num_videos)

    @property
    def conditioning(self) -> str:
        kind = self.cfg.conditioning.kind
        if kind not in CONDITIONING_KINDS:
            raise ValueError(
                f"model.conditioning.kind={kind!r} is unknown; choose one of {CONDITIONING_KINDS}"
            )
        return kind

    @property
    def encoder_kind(self) -> str:
        """``model.encoder.kind``."""
        kind = self.cfg.encoder.kind
        if kind not in ENCODER_KINDS:
            raise ValueError(
                f"model.encoder.kind={kind!r} is unknown; choose one of {ENCODER_KINDS}"
            )
        return kind

    @property
    def encoder_scale(self) -> float:
        """Latent = scale * the encoder's normalized output: the codes' init std, so the
        encoder's head works at unit scale (its zero-initialised output starts at z = 0)."""
        return float(self.cfg.code_init_std)

    def setup(self):
        cond = self.cfg.conditioning
        std = float(self.cfg.code_init_std)
        code_dim = int(cond.code_dim) if self.conditioning == "encoder" else self.latent_dim
        self.codes = nn.Embed(
            self.num_videos, code_dim, embedding_init=nn.initializers.normal(std), name="codes"
        )
        if self.conditioning == "kl":
            # Variational codebook: a log-variance per code, starting at the code init std.
            self.code_logvar = nn.Embed(
                self.num_videos,
                code_dim,
                embedding_init=nn.initializers.constant(2.0 * jnp.log(std)),
                name="code_logvar",
            )
        if self.conditioning == "encoder":
            self.conditioner = Conditioner(
                latent_dim=self.latent_dim,
                gru_hidden=int(cond.gru_hidden),
                gru_layers=int(cond.gru_layers),
                dropout=float(cond.dropout),
                merge_hidden=int(cond.merge_hidden),
                name="conditioner",
            )
        dtype = jnp.bfloat16 if self.cfg.compute_dtype == "bfloat16" else jnp.float32
        self.hypernet = make_hypernet(self.inr_spec, self.cfg.hypernet, dtype)
        if self.encoder_kind != "off":
            self.encoder = EncoderSpec.of(self.cfg.encoder, self.latent_dim).build()

    def latents(self, index: jnp.ndarray, features: jnp.ndarray | None = None, train=False):
        """index: i32[B]; features: f32[B, T, F] (encoder conditioning only).

        Returns:
          z: f32[B, latent_dim]; kl: f32[B] (zeros unless the KL prior is on).
        """
        code = self.codes(index)
        kl = jnp.zeros(code.shape[:1], jnp.float32)
        if self.conditioning == "encoder":
            if features is None:
                raise ValueError("conditioning.kind='encoder' needs frame features for every video")
            return self.conditioner(features, code, train), kl
        if self.conditioning == "kl":
            logvar = self.code_logvar(index)
            kl = 0.5 * jnp.sum(code**2 + jnp.exp(logvar) - logvar - 1.0, axis=-1)
            if train:
                eps = jax.random.normal(self.make_rng("noise"), code.shape)
                code = code + jnp.exp(0.5 * logvar) * eps
        return code, kl

    def hyper(self, z: jnp.ndarray):
        """z: f32[B, latent_dim] -> INR tree with leading B."""
        return self.hypernet(z)

    def encode(self, video: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
        """video f32[B, T, H, W, 3] in [-1, 1], observed where mask f32[B, T, H, W] > 0 ->
        z f32[B, latent_dim]. Unobserved pixels cannot change z (NaNs there included)."""
        if self.encoder_kind == "off":
            raise ValueError("model.encoder.kind='off': this model has no encoder to encode with")
        return self.encoder_scale * self.encoder(*observed_input(video, mask))

    def __call__(self, index, features=None, train=False):
        z, _ = self.latents(index, features, train)
        return self.hyper(z)


@dataclasses.dataclass(frozen=True)
class ModelFns:
    """The pure functions of a built model, closed over its static structure."""

    module: INRV
    inr_spec: INRSpec

    def init(self, key: jax.Array, features_shape: tuple[int, ...] | None = None):
        """Initial params (the ``params`` collection)."""
        index = jnp.zeros((1,), jnp.int32)
        feats = None if features_shape is None else jnp.zeros((1, *features_shape), jnp.float32)
        variables = self.module.init(
            {"params": key, "noise": key, "dropout": key}, index, feats, method=_init_all
        )
        return variables["params"]

    def latents(self, params, index, features=None, train=False, rngs=None):
        return self.module.apply(
            {"params": params}, index, features, train, method=INRV.latents, rngs=rngs
        )

    def hyper(self, params, z):
        return self.module.apply({"params": params}, z, method=INRV.hyper)

    @property
    def has_encoder(self) -> bool:
        return self.module.encoder_kind != "off"

    def encode(self, params, video, mask):
        """The jointly trained encoder's latents f32[B, D] (``INRV.encode``)."""
        return self.module.apply({"params": params}, video, mask, method=INRV.encode)

    def render(
        self, params, z, coords, chunk: int = 1 << 14, rows: int | None = None, footprint=None
    ):
        """Latents f32[B, D] at coordinates f32[N, 3] -> f32[B, N, 3] (``inr.render_chunked``;
        ``footprint`` f32[3]: the samples' box per axis, None: a training pixel's)."""
        inr = self.hyper(params, z)
        return render_chunked(inr, coords, self.inr_spec, chunk, rows, footprint=footprint)


def _init_all(module: INRV, index, features):
    z, _ = module.latents(index, features, train=False)
    if module.encoder_kind != "off":
        # Its parameter shapes do not depend on (T, H, W) once frames are >= one patch
        # (settings.validate checks data.size), so a one-patch frame initialises it.
        p = module.cfg.encoder.patch
        module.encode(jnp.zeros((1, 1, p, p, 3)), jnp.ones((1, 1, p, p)))
    return module.hyper(z)


def make_model(model: ModelSettings, num_videos: int) -> ModelFns:
    """Build the model for ``num_videos`` training videos from the ``model`` settings."""
    if num_videos < 1:
        raise ValueError(f"the model needs at least one training video, got {num_videos}")
    if not isinstance(model, ModelSettings):
        raise TypeError(f"make_model takes ModelSettings (config.to_settings), got {type(model)}")
    module = INRV(cfg=model, num_videos=num_videos)
    return ModelFns(module=module, inr_spec=INRSpec.from_settings(model.inr))
