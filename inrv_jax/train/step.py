"""The train step: one pure function, jitted with shardings over the (data, model) mesh.

codes -> (conditioner) -> hypernetwork -> INR params -> rendered pixels -> loss -> Adam.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax

from inrv_jax.coords import num_sampled, sample_indices
from inrv_jax.inr import render_batch
from inrv_jax.losses import lpips_per_video, mse_to_psnr, pixel_distance
from inrv_jax.model import ModelFns
from inrv_jax.sharding import batch_sharding, replicated
from inrv_jax.train.state import TrainState


def _render(inr_params, coords, spec, remat_chunk: int | None):
    """f32[B, N, 3]; with ``remat_chunk`` the activations are recomputed chunk by chunk in
    the backward pass, so memory is O(B * chunk * hidden) instead of O(B * N * hidden)."""
    n = coords.shape[0]
    if not remat_chunk or remat_chunk >= n or n % remat_chunk:
        return render_batch(inr_params, coords, spec)
    chunk_fn = jax.checkpoint(lambda c: render_batch(inr_params, c, spec))
    out = jax.lax.map(chunk_fn, coords.reshape(n // remat_chunk, remat_chunk, 3))
    return jnp.moveaxis(out, 0, 1).reshape(out.shape[1], n, 3)


def remat_chunk_for(num_coords: int, chunk: int) -> int:
    """Largest divisor of ``num_coords`` not above ``chunk`` (so chunks tile exactly)."""
    chunk = min(chunk, num_coords)
    while num_coords % chunk:
        chunk -= 1
    return chunk


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
      config: the full config (loss, train, model.conditioning).
      video_shape: (T, H, W) of the training clips.
      lpips: an object with ``.params`` and ``.apply(params, x, y) -> f32[N]`` when
        ``loss.lpips_weight > 0``.

    The batch is ``{"index": i32[B], "video": f32[B, T, H, W, 3], ["features": f32[B, T, F]]}``;
    ``coords`` is the full grid f32[T*H*W, 3].
    """
    t, h, w = video_shape
    num_total = t * h * w
    n = num_sampled(num_total, config.train.sample_frac)
    use_lpips = config.loss.lpips_weight > 0
    if use_lpips and lpips is None:
        raise ValueError("loss.lpips_weight > 0 needs the LPIPS network")
    kl_weight = config.model.conditioning.kl_weight if config.model.conditioning.kind == "kl" else 0
    remat = remat_chunk_for(n, config.train.render_chunk) if config.train.remat else None

    def loss_fn(params, batch, coords, idx, key):
        b = batch["index"].shape[0]
        k_noise, k_drop = jax.random.split(key)
        z, kl = model.latents(
            params,
            batch["index"],
            batch.get("features"),
            train=True,
            rngs={"noise": k_noise, "dropout": k_drop},
        )
        inr_params = model.hyper(params, z)
        target = batch["video"].reshape(b, num_total, 3)
        if idx is not None:
            coords, target = coords[idx], target[:, idx]
        pred = _render(inr_params, coords, model.inr_spec, remat)  # [B, n, 3]
        dist = pixel_distance(pred, target, config.loss.distance)  # [B]
        loss = dist.mean()
        metrics = {"train/distance": loss}
        if use_lpips:
            lp = lpips_per_video(
                lpips.apply, lpips.params, pred.reshape(b, t, h, w, 3), batch["video"]
            )
            loss = loss + config.loss.lpips_weight * lp.mean()
            metrics["train/lpips"] = lp.mean()
        if kl_weight:
            loss = loss + kl_weight * kl.mean()
            metrics["train/kl"] = kl.mean()
        mse = jnp.square(pred - target).mean()
        metrics["train/psnr"] = mse_to_psnr(mse)
        metrics["train/loss"] = loss
        return loss, metrics

    def train_step(state: TrainState, batch, coords, key):
        step_key = jax.random.fold_in(key, state.step)
        k_idx, k_model = jax.random.split(step_key)
        idx = None if n == num_total else sample_indices(k_idx, num_total, n)
        grads, metrics = jax.grad(loss_fn, has_aux=True)(state.params, batch, coords, idx, k_model)
        updates, opt_state = tx.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        metrics["train/grad_norm"] = optax.tree.norm(grads)
        return TrainState(step=state.step + 1, params=params, opt_state=opt_state), metrics

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
