"""The train step: one pure function, jitted with shardings over the (data, model) mesh.

codes -> (conditioner) -> hypernetwork -> INR params -> rendered pixels -> loss -> Adam.
"""

from __future__ import annotations

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
    # Without LPIPS (which needs whole frames) the INR gradient is computed chunk by chunk
    # (``chunked_inr_grad``): bounded memory, no recomputation, faster than one big pass.
    # ``train.remat`` only applies to the LPIPS path.
    remat = bool(config.train.remat)
    remat_chunk = int(config.train.render_chunk)
    per_pixel = pixel_loss(config.loss.distance)
    chunk_rows = int(config.train.get("chunk_rows", 0))  # 0: the backend's default

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
        if remat:  # whole frames for LPIPS; activations recomputed chunk by chunk
            pred = render_chunked(
                inr_params, coords, model.inr_spec, remat_chunk, remat_chunk * b, remat=True
            )
        else:
            pred = render_batch(inr_params, coords, model.inr_spec)  # [B, n, 3]
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

    def chunked_grads(params, batch, coords, idx, key):
        """Same loss and gradients as ``jax.grad(loss_fn)`` without LPIPS: the hypernetwork
        runs once (forward and VJP); the INR's gradient is summed over coordinate chunks."""
        b = batch["index"].shape[0]
        k_noise, k_drop = jax.random.split(key)

        def front(p):
            z, kl = model.latents(
                p,
                batch["index"],
                batch.get("features"),
                train=True,
                rngs={"noise": k_noise, "dropout": k_drop},
            )
            return model.hyper(p, z), kl

        (inr_params, kl), front_vjp = jax.vjp(front, params)
        target = batch["video"].reshape(b, num_total, 3)
        if idx is not None:
            coords, target = coords[idx], target[:, idx]
        chunk = coords_per_chunk(b, n, chunk_rows)
        dist, mse, g_inr = chunked_inr_grad(
            inr_params, coords, target, model.inr_spec, per_pixel, chunk
        )
        loss = dist.mean()
        metrics = {"train/distance": loss}
        g_kl = jnp.zeros_like(kl)
        if kl_weight:
            loss = loss + kl_weight * kl.mean()
            metrics["train/kl"] = kl.mean()
            g_kl = jnp.full_like(kl, kl_weight / b)
        (grads,) = front_vjp((g_inr, g_kl))
        metrics["train/psnr"] = mse_to_psnr(mse)
        metrics["train/loss"] = loss
        return grads, metrics

    def train_step(state: TrainState, batch, coords, key):
        step_key = jax.random.fold_in(key, state.step)
        k_idx, k_model = jax.random.split(step_key)
        idx = None if n == num_total else sample_indices(k_idx, num_total, n)
        if use_lpips:
            grad_fn = jax.grad(loss_fn, has_aux=True)
        else:
            grad_fn = chunked_grads
        grads, metrics = grad_fn(state.params, batch, coords, idx, k_model)
        grad_norm = optax.tree.norm(grads)
        metrics["train/grad_norm"] = grad_norm
        # NaN/Inf guard: one scalar test and a cond, so a bad step leaves params and Adam
        # untouched (no select over the 57M-parameter tree, unlike optax.apply_if_finite).
        ok = jnp.isfinite(metrics["train/loss"]) & jnp.isfinite(grad_norm)

        def update(_):
            updates, opt_state = tx.update(grads, state.opt_state, state.params)
            return optax.apply_updates(state.params, updates), opt_state

        params, opt_state = jax.lax.cond(
            ok, update, lambda _: (state.params, state.opt_state), None
        )
        return TrainState(
            step=state.step + 1,
            params=params,
            opt_state=opt_state,
            notfinite=state.notfinite + (~ok).astype(jnp.int32),
        ), metrics

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
