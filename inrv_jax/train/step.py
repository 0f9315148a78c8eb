"""The train step: one pure function, jitted with shardings over the (data, model) mesh.

codes -> (conditioner) -> hypernetwork -> INR params -> rendered pixels -> loss -> Adam.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import optax

from inrv_jax.coords import num_sampled, sample_indices
from inrv_jax.inr import chunked_inr_grad, coords_per_chunk, render_batch, render_chunked
from inrv_jax.losses import lpips_per_video, mse_to_psnr, pixel_distance, pixel_loss
from inrv_jax.model import ModelFns
from inrv_jax.sharding import batch_sharding, replicated
from inrv_jax.state import TrainState


@dataclasses.dataclass(frozen=True)
class StepSettings:
    """What the loss of a step needs, read once from the config.

    Attributes:
      video_shape: (T, H, W) of the training clips; num_sampled: pixels per video per step.
      distance: ``loss.distance``; lpips_weight / kl_weight: weights of those terms (0: off).
      remat, remat_chunk: rematerialised rendering in chunks of ``train.render_chunk``
        coordinates (the LPIPS path only: it needs whole frames).
      chunk_rows: rows per chunk of the chunked INR gradient (0: the backend's default).
    """

    video_shape: tuple[int, int, int]
    num_sampled: int
    distance: str
    lpips_weight: float
    kl_weight: float
    remat: bool
    remat_chunk: int
    chunk_rows: int

    @classmethod
    def from_config(cls, config, video_shape) -> StepSettings:
        cond = config.model.conditioning
        t, h, w = video_shape
        return cls(
            video_shape=tuple(int(x) for x in video_shape),
            num_sampled=num_sampled(t * h * w, config.train.sample_frac),
            distance=config.loss.distance,
            lpips_weight=float(config.loss.lpips_weight),
            kl_weight=float(cond.kl_weight) if cond.kind == "kl" else 0.0,
            remat=bool(config.train.remat),
            remat_chunk=int(config.train.render_chunk),
            chunk_rows=int(config.train.get("chunk_rows", 0)),
        )

    @property
    def num_pixels(self) -> int:
        t, h, w = self.video_shape
        return t * h * w


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


def _lpips_loss(s: StepSettings, model: ModelFns, lpips, params, batch, coords, idx, key):
    """(loss, metrics) with the per-frame LPIPS term: the whole rendering is needed at once."""
    b = batch["index"].shape[0]
    z, kl = _latents(model, params, batch, key)
    inr_params = model.hyper(params, z)
    coords, target = _targets(s, batch, coords, idx)
    if s.remat:  # activations recomputed chunk by chunk in the backward pass
        rows = s.remat_chunk * b
        pred = render_chunked(inr_params, coords, model.inr_spec, s.remat_chunk, rows, remat=True)
    else:
        pred = render_batch(inr_params, coords, model.inr_spec)  # [B, n, 3]
    loss = pixel_distance(pred, target, s.distance).mean()
    metrics = {"train/distance": loss}
    lp = lpips_per_video(
        lpips.apply, lpips.params, pred.reshape(b, *s.video_shape, 3), batch["video"]
    )
    loss = loss + s.lpips_weight * lp.mean()
    metrics["train/lpips"] = lp.mean()
    if s.kl_weight:
        loss = loss + s.kl_weight * kl.mean()
        metrics["train/kl"] = kl.mean()
    metrics["train/psnr"] = mse_to_psnr(jnp.square(pred - target).mean())
    metrics["train/loss"] = loss
    return loss, metrics


def _chunked_grads(s: StepSettings, model: ModelFns, params, batch, coords, idx, key):
    """(grads, metrics) equal to ``jax.grad`` of the pixel (+ KL) loss: the hypernetwork runs
    once (forward and VJP); the INR's gradient is summed over coordinate chunks (bounded
    memory, no recomputation)."""
    b = batch["index"].shape[0]

    def front(p):
        z, kl = _latents(model, p, batch, key)
        return model.hyper(p, z), kl

    (inr_params, kl), front_vjp = jax.vjp(front, params)
    coords, target = _targets(s, batch, coords, idx)
    chunk = coords_per_chunk(b, s.num_sampled, s.chunk_rows)
    per_pixel = pixel_loss(s.distance)
    dist, mse, g_inr = chunked_inr_grad(
        inr_params, coords, target, model.inr_spec, per_pixel, chunk
    )
    loss = dist.mean()
    metrics = {"train/distance": loss}
    g_kl = jnp.zeros_like(kl)
    if s.kl_weight:
        loss = loss + s.kl_weight * kl.mean()
        metrics["train/kl"] = kl.mean()
        g_kl = jnp.full_like(kl, s.kl_weight / b)
    (grads,) = front_vjp((g_inr, g_kl))
    metrics["train/psnr"] = mse_to_psnr(mse)
    metrics["train/loss"] = loss
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


def make_train_step(
    model: ModelFns,
    tx: optax.GradientTransformation,
    config,
    video_shape: tuple[int, int, int],
    lpips=None,
):
    """Build ``train_step(state, batch, coords, key) -> (state, metrics)`` (not yet jitted).

    Args:
      model: the built model.
      tx: the optimizer.
      config: the config (its loss, train and model.conditioning slices: ``StepSettings``).
      video_shape: (T, H, W) of the training clips.
      lpips: an object with ``.params`` and ``.apply(params, x, y) -> f32[N]`` when
        ``loss.lpips_weight > 0``.

    The batch is ``{"index": i32[B], "video": f32[B, T, H, W, 3], ["features": f32[B, T, F]]}``;
    ``coords`` is the full grid f32[T*H*W, 3]. Without LPIPS the INR gradient is computed
    chunk by chunk (``inr.chunked_inr_grad``); with it, by autodiff of the whole rendering
    (``train.remat`` bounds its memory).
    """
    s = StepSettings.from_config(config, video_shape)
    pixel_loss(s.distance)  # an unknown loss.distance fails here, not inside jit
    if s.lpips_weight > 0 and lpips is None:
        raise ValueError("loss.lpips_weight > 0 needs the LPIPS network")
    if s.lpips_weight > 0:
        loss_fn = functools.partial(_lpips_loss, s, model, lpips)
        grad_fn = jax.grad(loss_fn, has_aux=True)
    else:
        grad_fn = functools.partial(_chunked_grads, s, model)

    def train_step(state: TrainState, batch, coords, key):
        k_idx, k_model = jax.random.split(jax.random.fold_in(key, state.step))
        n, total = s.num_sampled, s.num_pixels
        idx = None if n == total else sample_indices(k_idx, total, n)
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
