"""``inrv train-encoder``: fit a video encoder post hoc to a trained (or imported) model.

The hypernetwork is frozen. Data: the run's training clips (``videos.training_videos``) and
their learned latents. Each example gets a random observation mask from the Task registry
(``encoder.TRAIN_TASKS``: every pixel, top half, first k frames for every k, first + last, even
frames, sparse draws, a hidden box), so the encoder learns partial inputs too. The loss of an
example is

    MSE(render(hyper(E(video * mask, mask))), video)  on ``pixels`` random pixels of the *whole*
                                                       clip (the hidden ones included)
    + consistency * mean(((E(...) - z_learned) / latent_std)²)

(the consistency term is measured in units of the latents' per-dimension std). Adam, one jitted
step. The encoder is stored in ``WORKDIR/encoder/`` (``inrv_jax.encoder``); running the command
again continues from it for ``--steps`` more.

CLI: ``inrv train-encoder --workdir DIR [--step S] [--steps N] [--batch B] [--lr LR]
[--pixels P] [--consistency W] [--seed S]``.
"""

from __future__ import annotations

import dataclasses
import functools
import time

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax

from inrv_jax.checkpoint import load_trained
from inrv_jax.coords import make_grid
from inrv_jax.encoder import (
    TRAIN_TASKS,
    Encoder,
    default_config,
    has_encoder,
    latents_from,
    load_encoder,
    make_encoder,
    mask_bank,
    save_encoder,
    sizes_of,
)
from inrv_jax.errors import InputError
from inrv_jax.inr import render_batch, render_chunked
from inrv_jax.settings import EncoderSettings
from inrv_jax.tasks.videos import training_videos

EVAL_CLIPS = 64  # training clips of the fixed evaluation batch


@dataclasses.dataclass(frozen=True)
class Settings:
    """steps: Adam steps (more, when continuing); batch: clips a step; pixels: random pixels a
    step (shared by the batch's clips); consistency: weight of the latent term; log_every:
    train-loss records in meta.json."""

    steps: int = 2000
    batch: int = 32
    lr: float = 1e-3
    pixels: int = 1024
    consistency: float = 0.1
    seed: int = 0
    log_every: int = 100


def _loss(module, model, weight, params, hyper_params, videos, masks, z_target, coords, targets,
          mean, std):  # fmt: skip
    """Loss of B clips: videos f32[B, T, H, W, 3], masks f32[B, T, H, W], z_target f32[B, D],
    coords f32[P, 3] shared, targets f32[B, P, 3]. Returns (loss, (render MSE, consistency))."""
    z = latents_from(module, params, mean, std, videos, masks)
    inr = model.hyper(hyper_params, z)
    pred = render_batch(inr, coords, model.inr_spec)  # [B, P, 3]
    render = jnp.mean(jnp.square(pred - targets))
    consistency = jnp.mean(jnp.square((z - z_target) / std))
    return render + weight * consistency, (render, consistency)


@functools.lru_cache(maxsize=8)
def _make_step(module, model, settings: Settings):
    tx = optax.adam(settings.lr)
    grad_fn = jax.value_and_grad(
        functools.partial(_loss, module, model, settings.consistency), has_aux=True
    )

    @jax.jit
    def step(params, opt_state, hyper_params, data, key):
        """data: videos f32[N, T, H, W, 3], latents f32[N, D], bank f32[K, T, H, W], grid
        f32[T*H*W, 3], mean, std f32[D]."""
        videos, latents, bank, grid, mean, std = data
        kv, km, kp = jax.random.split(key, 3)
        idx = jax.random.randint(kv, (settings.batch,), 0, videos.shape[0])
        masks = bank[jax.random.randint(km, (settings.batch,), 0, bank.shape[0])]
        clips = videos[idx]
        pix = jax.random.choice(kp, grid.shape[0], (min(settings.pixels, grid.shape[0]),), False)
        targets = clips.reshape(settings.batch, -1, 3)[:, pix]
        args = (hyper_params, clips, masks, latents[idx], grid[pix], targets, mean, std)
        (loss, (render, cons)), grads = grad_fn(params, *args)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, jnp.stack([loss, render, cons])

    return tx, step


@functools.lru_cache(maxsize=8)
def _eval_fn(module, model, weight: float):
    def evaluate(params, hyper_params, videos, masks, z_target, grid, mean, std):
        z = latents_from(module, params, mean, std, videos, masks)
        pred = render_chunked(model.hyper(hyper_params, z), grid, model.inr_spec, 1 << 14)
        render = jnp.mean(jnp.square(pred - videos.reshape(videos.shape[0], -1, 3)))
        consistency = jnp.mean(jnp.square((z - z_target) / std))
        return jnp.stack([render + weight * consistency, render, consistency])

    return jax.jit(evaluate)


def _losses(values) -> dict:
    loss, render, cons = (float(x) for x in values)
    return {"loss": loss, "render": render, "consistency": cons}


def train_encoder(trained, settings: Settings, previous: Encoder | None = None, videos=None,
                  sizes: EncoderSettings | None = None, log=print) -> Encoder:  # fmt: skip
    """Train (or continue ``previous``) an encoder for ``trained`` (a ``TrainedModel``).

    Args:
      videos: the training clips f32[N, T, H, W, 3] (default ``training_videos(trained)``);
        clip i's target latent is ``trained.latents[i]``.
      sizes: the encoder's widths (``encoder.default_config()``; a continued encoder keeps
        its own).

    Returns:
      the ``Encoder``; its meta holds the steps so far, the train-loss records, and the loss
      on a fixed batch (the first ``EVAL_CLIPS`` clips, mask row i % K, every pixel) before
      and after this call.
    """
    latents = np.asarray(trained.latents, np.float32)
    videos = training_videos(trained) if videos is None else np.asarray(videos, np.float32)
    shape = tuple(videos.shape[1:4])
    bank, _ = mask_bank(shape)
    module, cfg, mean, std, done = _encoder_start(previous, sizes, latents)
    mean, std = jnp.asarray(mean, jnp.float32), jnp.asarray(std, jnp.float32)
    tx, step = _make_step(module, trained.model, settings)
    params, opt_state = _initial_state(module, tx, previous, shape, settings.seed)
    grid = jnp.asarray(make_grid(*shape))
    data = (jnp.asarray(videos), jnp.asarray(latents), jnp.asarray(bank), grid, mean, std)
    n_eval = min(EVAL_CLIPS, len(videos))
    eval_args = (videos[:n_eval], bank[np.arange(n_eval) % len(bank)], latents[:n_eval], grid,
                 mean, std)  # fmt: skip
    evaluate = _eval_fn(module, trained.model, settings.consistency)
    before = _losses(evaluate(params, trained.params, *eval_args))
    records = list(previous.meta["records"]) if previous is not None else []
    start = time.perf_counter()
    params, opt_state = _train_steps(
        step, params, opt_state, trained.params, data, settings, done, records, log
    )
    seconds = time.perf_counter() - start
    after = _losses(evaluate(params, trained.params, *eval_args))
    meta = {
        "config": cfg,
        "latent_dim": latents.shape[1],
        "video_shape": list(shape),
        "model_step": int(trained.step),
        "steps": done + settings.steps,
        "settings": dataclasses.asdict(settings),
        "tasks": list(TRAIN_TASKS),
        "seconds": seconds + (previous.meta["seconds"] if previous is not None else 0.0),
        "eval_before": before,
        "eval_after": after,
        "records": records,
    }
    arrays = {
        "params": params,
        "opt_state": flax.serialization.to_state_dict(opt_state),
        "latent_mean": mean,
        "latent_std": std,
    }
    return Encoder(module, arrays, meta)


def _encoder_start(previous: Encoder | None, sizes: EncoderSettings | None, latents):
    """(module, config dict, latent mean f32[D], std f32[D], steps done) of the encoder to
    train: ``previous``'s own, else a new one of ``sizes`` (default ``default_config()``)
    normalising by the latents' statistics."""
    if previous is not None:
        mean, std = previous.arrays["latent_mean"], previous.arrays["latent_std"]
        return previous.module, previous.meta["config"], mean, std, int(previous.meta["steps"])
    sizes = sizes or default_config()
    module = make_encoder(sizes, latents.shape[1])
    return module, sizes_of(sizes), latents.mean(0), np.maximum(latents.std(0), 1e-6), 0


def _initial_state(module, tx, previous: Encoder | None, shape, seed: int):
    """(params, opt_state): ``previous``'s, else freshly initialised for (T, H, W) ``shape``."""
    if previous is not None:
        params = previous.arrays["params"]
        opt_state = flax.serialization.from_state_dict(
            tx.init(params), previous.arrays["opt_state"]
        )
        return params, opt_state
    t, h, w = shape
    params = module.init(jax.random.key(seed), jnp.zeros((1, t, h, w, 3)), jnp.ones((1, t, h, w)))[
        "params"
    ]
    return params, tx.init(params)


def _train_steps(step, params, opt_state, hyper_params, data, settings: Settings, done: int,
                 records: list, log):  # fmt: skip
    """``settings.steps`` steps after the ``done`` ones; appends a train-loss record to
    ``records`` every ``settings.log_every`` steps and at the end. Returns (params, opt_state)."""
    key = jax.random.key(settings.seed)
    window = []
    for i in range(done, done + settings.steps):
        params, opt_state, values = step(
            params, opt_state, hyper_params, data, jax.random.fold_in(key, i)
        )
        window.append(values)
        if (i + 1) % settings.log_every == 0 or i + 1 == done + settings.steps:
            rec = {"step": i + 1, **_losses(np.mean(np.stack(window), 0))}
            records.append(rec)
            window = []
            if log:
                log(f"step {rec['step']:6d}  loss {rec['loss']:.4g}  render {rec['render']:.4g}"
                    f"  consistency {rec['consistency']:.4g}")  # fmt: skip
    return params, opt_state


def train_workdir(workdir, settings: Settings, step: int | None = None, log=print) -> Encoder:
    """Train or continue the encoder of ``workdir`` (model checkpoint ``step``, default newest),
    save it to ``WORKDIR/encoder`` and return it."""
    trained = load_trained(workdir, step)
    previous = None
    if has_encoder(workdir):
        previous = load_encoder(workdir, trained.step, trained.latents.shape[1])
        if list(previous.meta["video_shape"]) != list(trained.video_shape):
            raise InputError(
                f"the encoder in {workdir}/encoder was trained on {previous.meta['video_shape']} "
                f"clips, the model's are {list(trained.video_shape)}: delete {workdir}/encoder"
            )
    encoder = train_encoder(trained, settings, previous, log=log)
    save_encoder(workdir, encoder)
    return encoder
