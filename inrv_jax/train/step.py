"""The train step: one pure function, jitted with shardings over the (data, model) mesh.

codes -> (conditioner) -> hypernetwork -> INR params -> rendered pixels -> loss -> Adam.

With a jointly trained encoder (``model.encoder.kind != "off"``) every clip also gets a random
observation mask from the Task registry (``encoder.mask_bank``) and the loss gains

    weight * pixel loss of the rendering of z_enc = E(video * mask, mask) on the step's pixels of
             the *whole* clip (hidden pixels included)
    + consistency * mean(((z_enc - stop_gradient(z)) / code_init_std)^2)

(z: the codebook latent). The hypernetwork runs once on [z; z_enc], so the encoder's render term
trains the hypernetwork too.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from inrv_jax.coords import num_sampled, sample_indices
from inrv_jax.encoder import EncoderLoss, TaskMasks
from inrv_jax.encoding import grid_footprint
from inrv_jax.inr import chunked_inr_grad, coords_per_chunk, render_batch, render_chunked
from inrv_jax.losses import lpips_per_video, mse_to_psnr, pixel_distance, pixel_loss
from inrv_jax.model import ModelFns, make_model
from inrv_jax.settings import Settings
from inrv_jax.sharding import batch_sharding, make_mesh, replicated, tree_shardings
from inrv_jax.state import TrainState, make_init_fn, make_optimizer


@dataclasses.dataclass(frozen=True)
class StepSettings:
    """What the loss of a step needs, read once from the settings.

    Attributes:
      video_shape: (T, H, W) of the training clips; num_sampled: pixels per video per step.
      distance: ``loss.distance``; lpips_weight / kl_weight: weights of those terms (0: off).
      remat, remat_chunk: rematerialised rendering in chunks of ``train.render_chunk``
        coordinates (the LPIPS path only: it needs whole frames).
      chunk_rows: rows per chunk of the chunked INR gradient (0: the backend's default).
      jitter: f32[3] width of the uniform jitter of every training coordinate per axis (t, h,
        w) in coordinate units (``train.coord_jitter`` x the grid spacing; 0: on the grid).
      supersample: K points drawn inside each pixel's jitter box whose rendered mean is the
        pixel's prediction (``train.supersample``; 1: one point, the pixel value is its target).
    """

    video_shape: tuple[int, int, int]
    num_sampled: int
    distance: str
    lpips_weight: float
    kl_weight: float
    remat: bool
    remat_chunk: int
    chunk_rows: int
    jitter: tuple[float, float, float] = (0.0, 0.0, 0.0)
    supersample: int = 1

    @classmethod
    def from_settings(cls, settings: Settings) -> StepSettings:
        cond, train = settings.model.conditioning, settings.train
        video_shape = settings.video_shape
        footprint = grid_footprint(video_shape)
        return cls(
            video_shape=video_shape,
            num_sampled=num_sampled(int(np.prod(video_shape)), train.sample_frac),
            distance=settings.loss.distance,
            lpips_weight=settings.loss.lpips_weight,
            kl_weight=cond.kl_weight if cond.kind == "kl" else 0.0,
            remat=train.remat,
            remat_chunk=train.render_chunk,
            chunk_rows=train.chunk_rows,
            jitter=tuple(float(j * d) for j, d in zip(train.coord_jitter, footprint, strict=True)),
            supersample=train.supersample,
        )

    @property
    def num_pixels(self) -> int:
        t, h, w = self.video_shape
        return t * h * w


@dataclasses.dataclass(frozen=True)
class JointEncoder:
    """The jointly trained encoder's side of the step (``model.encoder``).

    Attributes:
      loss: its ``encoder.EncoderLoss`` (the post-hoc trainer's loss too).
      scale: its latent std (``model.code_init_std``, the encoder's own output scale).
      masks: the Task-registry observation masks it trains on (``encoder.TaskMasks``).
    """

    loss: EncoderLoss
    scale: float
    masks: TaskMasks

    @classmethod
    def from_settings(cls, settings: Settings) -> JointEncoder | None:
        """The encoder's side of the step, or None without a jointly trained encoder."""
        model = settings.model
        if model.encoder.kind == "off":
            return None
        loss = EncoderLoss.joint(model.encoder, settings.loss)
        return cls(loss, model.code_init_std, TaskMasks.of(settings.video_shape))

    def draw(self, key: jax.Array, num: int) -> jax.Array:
        """Masks f32[num, T, H, W] of a uniform task each."""
        return self.masks.draw(key, num)

    def side_loss(self, model: ModelFns, params, batch, z):
        """(z_enc f32[B, D], consistency term f32[] unweighted)."""
        z_enc = model.encode(params, batch["video"], batch["mask"])
        return z_enc, self.loss.consistency_term(z_enc, z, self.scale)


def _latents(model: ModelFns, params, batch, key):
    """(z f32[B, D], kl f32[B]) of the batch's videos in training mode."""
    k_noise, k_drop = jax.random.split(key)
    rngs = {"noise": k_noise, "dropout": k_drop}
    return model.latents(params, batch["index"], batch.get("features"), train=True, rngs=rngs)


def _targets(s: StepSettings, batch, coords, idx):
    """(coords f32[n, 3], target f32[B, n, 3]) of this step's pixels."""
    target = batch["video"].reshape(batch["video"].shape[0], s.num_pixels, 3)
    if idx is None:
        return coords, target
    return coords[idx], target[:, idx]


def _front(s: StepSettings, model: ModelFns, joint: JointEncoder | None, p, batch, key):
    """Everything before the INR: (INR tree with leading B (2B with the encoder: codebook rows
    then encoder rows), the weighted loss terms that do not need the rendering f32[], metrics)."""
    z, kl = _latents(model, p, batch, key)
    side, metrics = jnp.zeros((), jnp.float32), {}
    if s.kl_weight:
        side = side + s.kl_weight * kl.mean()
        metrics["train/kl"] = kl.mean()
    if joint is not None:
        z_enc, consistency = joint.side_loss(model, p, batch, z)
        side = side + joint.loss.consistency * consistency
        metrics["train/encoder_consistency"] = consistency
        z = jnp.concatenate([z, z_enc.astype(z.dtype)])
    return model.hyper(p, z), side, metrics


def _halves(tree, b: int):
    """(codebook rows, encoder rows) of a tree with leading 2B."""
    return jax.tree.map(lambda x: x[:b], tree), jax.tree.map(lambda x: x[b:], tree)


def _lpips_loss(s: StepSettings, model: ModelFns, lpips, joint, params, batch, coords, idx, key):
    """(loss, metrics) with the per-frame LPIPS term: the whole rendering is needed at once.
    The encoder's rendering gets the pixel term only (the written loss); both renderings are
    held at once, so the jointly trained encoder doubles this path's memory."""
    b = batch["index"].shape[0]
    inr_params, loss, metrics = _front(s, model, joint, params, batch, key)
    coords, target = _targets(s, batch, coords, idx)
    rows = jax.tree.leaves(inr_params)[0].shape[0]  # B, or 2B with the encoder
    if s.remat:  # activations recomputed chunk by chunk in the backward pass
        pred = render_chunked(inr_params, coords, model.inr_spec, s.remat_chunk,
                              s.remat_chunk * rows, remat=True)  # fmt: skip
    else:
        pred = render_batch(inr_params, coords, model.inr_spec)  # [rows, n, 3]
    if joint is not None:
        pred, pred_enc = pred[:b], pred[b:]
        enc = joint.loss.render_term(pred_enc, target)
        loss = loss + joint.loss.render_weight * enc
        metrics["train/encoder_distance"] = enc
        metrics["train/encoder_psnr"] = mse_to_psnr(jnp.square(pred_enc - target).mean())
    dist = pixel_distance(pred, target, s.distance).mean()
    metrics["train/distance"] = dist
    lp = lpips_per_video(
        lpips.apply, lpips.params, pred.reshape(b, *s.video_shape, 3), batch["video"]
    )
    loss = loss + dist + s.lpips_weight * lp.mean()
    metrics["train/lpips"] = lp.mean()
    metrics["train/psnr"] = mse_to_psnr(jnp.square(pred - target).mean())
    metrics["train/loss"] = loss
    return loss, metrics


def _chunked_grads(s: StepSettings, model: ModelFns, joint, params, batch, coords, idx, key):
    """(grads, metrics) equal to ``jax.grad`` of the pixel (+ KL, + encoder) loss: the
    hypernetwork runs once (forward and VJP); the INR's gradient is summed over coordinate
    chunks (bounded memory, no recomputation)."""
    b = batch["index"].shape[0]

    def front(p):
        inr, side, metrics = _front(s, model, joint, p, batch, key)
        return (inr, side), metrics

    (inr_params, side), front_vjp, metrics = jax.vjp(front, params, has_aux=True)
    coords, target = _targets(s, batch, coords, idx)
    chunk = coords_per_chunk(b * s.supersample, s.num_sampled, s.chunk_rows)
    per_pixel = pixel_loss(s.distance)
    if joint is None:
        dist, mse, g_inr = chunked_inr_grad(
            inr_params, coords, target, model.inr_spec, per_pixel, chunk
        )
    else:  # one scan per half: the memory of a chunk stays that of B rows
        code, enc = _halves(inr_params, b)
        dist, mse, g_code = chunked_inr_grad(code, coords, target, model.inr_spec, per_pixel, chunk)
        d_enc, mse_enc, g_enc = chunked_inr_grad(
            enc, coords, target, model.inr_spec, per_pixel, chunk
        )
        weight = joint.loss.render_weight
        g_enc = jax.tree.map(lambda g: g * jnp.asarray(weight, g.dtype), g_enc)
        g_inr = jax.tree.map(lambda a, c: jnp.concatenate([a, c]), g_code, g_enc)
        side = side + weight * d_enc.mean()
        metrics["train/encoder_distance"] = d_enc.mean()
        metrics["train/encoder_psnr"] = mse_to_psnr(mse_enc)
    (grads,) = front_vjp((g_inr, jnp.ones_like(side)))
    metrics["train/distance"] = dist.mean()
    metrics["train/psnr"] = mse_to_psnr(mse)
    metrics["train/loss"] = dist.mean() + side
    return grads, metrics


def _guarded_update(tx, state: TrainState, grads, metrics) -> TrainState:
    """Adam update, skipped (and counted in ``notfinite``) when loss or gradients are not
    finite: one scalar test and a cond, no select over the 57M-parameter tree (unlike
    ``optax.apply_if_finite``)."""
    grad_norm = optax.tree.norm(grads)
    metrics["train/grad_norm"] = grad_norm
    ok = jnp.isfinite(metrics["train/loss"]) & jnp.isfinite(grad_norm)

    def update(_):
        updates, opt_state = tx.update(grads, state.opt_state, state.params)
        return optax.apply_updates(state.params, updates), opt_state

    params, opt_state = jax.lax.cond(ok, update, lambda _: (state.params, state.opt_state), None)
    return TrainState(
        step=state.step + 1,
        params=params,
        opt_state=opt_state,
        notfinite=state.notfinite + (~ok).astype(jnp.int32),
    )


def make_grad_fn(model: ModelFns, s: StepSettings, joint: JointEncoder | None, lpips=None):
    """``grad_fn(params, batch, coords, idx, key) -> (grads, metrics)`` of the step's loss.

    ``idx`` i32[n] are the step's pixel indices (None: every pixel); with a jointly trained
    encoder the batch carries ``"mask"`` f32[B, T, H, W] (``train_step`` draws it). Without
    LPIPS the INR gradient is computed chunk by chunk (``inr.chunked_inr_grad``); with it, by
    autodiff of the whole rendering (``train.remat`` bounds its memory).
    """
    pixel_loss(s.distance)  # an unknown loss.distance fails here, not inside jit
    if s.lpips_weight > 0 and lpips is None:
        raise ValueError("loss.lpips_weight > 0 needs the LPIPS network")
    if s.lpips_weight > 0:
        return jax.grad(functools.partial(_lpips_loss, s, model, lpips, joint), has_aux=True)
    return functools.partial(_chunked_grads, s, model, joint)


def make_train_step(
    model: ModelFns, tx: optax.GradientTransformation, settings: Settings, lpips=None
):
    """Build ``train_step(state, batch, coords, key) -> (state, metrics)`` (not yet jitted).

    Args:
      model: the built model.
      tx: the optimizer.
      settings: the run's settings (its loss, train, data shape and model.conditioning/encoder
        sections, read once here into ``StepSettings`` and ``JointEncoder``).
      lpips: an object with ``.params`` and ``.apply(params, x, y) -> f32[N]`` when
        ``loss.lpips_weight > 0``.

    The batch is ``{"index": i32[B], "video": f32[B, T, H, W, 3], ["features": f32[B, T, F]]}``;
    ``coords`` is the full grid f32[T*H*W, 3]. The gradient: ``make_grad_fn``.
    """
    s = StepSettings.from_settings(settings)
    joint = JointEncoder.from_settings(settings)
    grad_fn = make_grad_fn(model, s, joint, lpips)

    def train_step(state: TrainState, batch, coords, key):
        k_idx, k_model = jax.random.split(jax.random.fold_in(key, state.step))
        n, total = s.num_sampled, s.num_pixels
        idx = None if n == total else sample_indices(k_idx, total, n)
        if joint is not None:  # a fresh mask per clip and step
            mask = joint.draw(jax.random.fold_in(k_idx, 1), batch["index"].shape[0])
            batch = {**batch, "mask": mask}
        if any(s.jitter):  # off-grid supervision: fresh points inside every pixel's box
            shape = (coords.shape[0], s.supersample, 3)
            u = jax.random.uniform(jax.random.fold_in(k_idx, 2), shape, coords.dtype)
            coords = coords[:, None] + (u - 0.5) * jnp.asarray(s.jitter, coords.dtype)
            coords = coords[:, 0] if s.supersample == 1 else coords  # [N, 3] or [N, K, 3]
        grads, metrics = grad_fn(state.params, batch, coords, idx, k_model)
        return _guarded_update(tx, state, grads, metrics), metrics

    return train_step


def jit_train_step(train_step, state_sh, mesh):
    """jit with explicit shardings: state as ``state_sh`` (donated), batch over ``data``."""
    return jax.jit(
        train_step,
        in_shardings=(state_sh, batch_sharding(mesh), replicated(mesh), replicated(mesh)),
        out_shardings=(state_sh, replicated(mesh)),
        donate_argnums=(0,),
    )


@dataclasses.dataclass(frozen=True)
class TrainStep:
    """A model with its optimizer, mesh and jitted train step (built by ``build_step``).

    Attributes:
      init_fn: ``key -> TrainState``, a fresh state (``init_state`` creates it sharded).
      state_sh: the state's NamedSharding tree (``mesh.rules`` over the mesh).
      step_fn: jitted ``(state, batch, coords, key) -> (state, metrics)`` (``make_train_step``;
        the state is donated).
    """

    model: ModelFns
    tx: optax.GradientTransformation
    mesh: jax.sharding.Mesh
    init_fn: Callable[[jax.Array], TrainState]
    state_sh: Any
    step_fn: Callable

    def init_state(self, key: jax.Array) -> TrainState:
        """A fresh state, created directly with its shardings."""
        return jax.jit(self.init_fn, out_shardings=self.state_sh)(key)


def build_step(
    settings: Settings,
    num_videos: int,
    *,
    devices=None,
    lpips=None,
    features_shape: tuple[int, int] | None = None,
    tx: optax.GradientTransformation | None = None,
) -> TrainStep:
    """The one assembly of model, optimizer, mesh, state shardings and jitted step that the
    trainer (``train.run.build_run``), the tests and the benchmarks share.

    Args:
      settings: the run's settings (model, optim, mesh, loss, train and the clip shape).
      num_videos: rows of the codebook.
      devices: the mesh's devices (default all).
      lpips: the LPIPS network when ``loss.lpips_weight > 0`` (default: loaded here).
      features_shape: (T, F) of the conditioner's frame features, when conditioning is on.
      tx: an optimizer other than ``settings.optim``'s (tests).
    """
    mesh = make_mesh(settings.mesh, devices)
    model = make_model(settings.model, num_videos)
    if tx is None:
        tx = make_optimizer(settings.optim, settings.train.steps)
    if lpips is None and settings.loss.lpips_weight > 0:
        from inrv_jax.metrics.lpips import load_lpips  # loads VGG weights: only when used

        lpips = load_lpips(settings.loss.lpips_net)
    init_fn = make_init_fn(model, tx, features_shape)
    abstract = jax.eval_shape(init_fn, jax.random.key(0))
    state_sh = tree_shardings(abstract, mesh, settings.mesh.rules)
    step_fn = jit_train_step(make_train_step(model, tx, settings, lpips), state_sh, mesh)
    return TrainStep(model, tx, mesh, init_fn, state_sh, step_fn)


def learned_latents(model: ModelFns, params, features=None, batch: int = 256) -> jax.Array:
    """The latents fed to the hypernetwork for every training video (eval mode).

    This is the official ``learned_latents``: what generation and interpolation sample from.
    Returns f32[num_videos, latent_dim].
    """
    num = model.module.num_videos
    batch = min(batch, num)
    fn = _jit_latents(model)
    out = []
    for start in range(0, num, batch):
        # Pad the last chunk to a full batch so every chunk reuses one compiled program.
        index = jnp.arange(start, start + batch, dtype=jnp.int32).clip(max=num - 1)
        feats = None
        if features is not None:
            feats = jnp.asarray(features)[index]
        out.append(fn(params, index, feats)[: min(batch, num - start)])
    return jnp.concatenate(out, axis=0)


@functools.lru_cache(maxsize=16)
def _jit_latents(model: ModelFns):
    return jax.jit(lambda params, index, feats: model.latents(params, index, feats, train=False)[0])
