"""``inrv train-encoder``: fit a video encoder post hoc to a trained (or imported) model.

The hypernetwork is frozen. Data: the run's training clips (``videos.training_videos``) and
their learned latents. Each example gets a random observation mask from the Task registry
(``encoder.TaskMasks``, the joint step's masks: every pixel, top half, first k frames for every
k, first + last, even frames, sparse draws, a hidden box), so the encoder learns partial inputs
too. The loss is the jointly trained encoder's (``encoder.EncoderLoss``) with render weight 1 and
the MSE:

    MSE(render(hyper(E(video * mask, mask))), video)  on ``pixels`` random pixels of the *whole*
                                                       clip (the hidden ones included)
    + consistency * mean(((E(...) - z_learned) / latent_std)²)

(the consistency term is measured in units of the encoder's per-dimension latent std). Adam, one
jitted step. The encoder is stored in ``WORKDIR/encoder/`` (``inrv_jax.encoder``); running the
command again continues from it for ``--steps`` more. A model trained with a joint encoder has
that encoder continued (fine-tuned with the hypernetwork frozen), not replaced.

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
    EncoderLoss,
    EncoderSpec,
    TaskMasks,
    default_config,
    has_encoder,
    latents_from,
    load_encoder,
    mask_bank,
    save_encoder,
)
from inrv_jax.errors import InputError
from inrv_jax.inr import render_batch, render_chunked

__all__ = ["Settings", "mask_bank", "train_encoder", "train_workdir"]
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

    @property
    def loss(self) -> EncoderLoss:
        """The encoder loss it trains with: render weight 1, the MSE."""
        return EncoderLoss(1.0, self.consistency, "l2")


def _loss(module, model, loss: EncoderLoss, params, hyper_params, videos, masks, z_target, coords,
          targets, mean, std):  # fmt: skip
    """Loss of B clips: videos f32[B, T, H, W, 3], masks f32[B, T, H, W], z_target f32[B, D],
    coords f32[P, 3] shared, targets f32[B, P, 3]. Returns (loss, (render term, consistency))."""
    z = latents_from(module, params, mean, std, videos, masks)
    inr = model.hyper(hyper_params, z)
    pred = render_batch(inr, coords, model.inr_spec)  # [B, P, 3]
    render = loss.render_term(pred, targets)
    consistency = loss.consistency_term(z, z_target, std)
    return loss.total(render, consistency), (render, consistency)


@functools.lru_cache(maxsize=8)
def _make_step(module, model, settings: Settings, masks: TaskMasks):
    tx = optax.adam(settings.lr)
    grad_fn = jax.value_and_grad(
        functools.partial(_loss, module, model, settings.loss), has_aux=True
    )

    @jax.jit
    def step(params, opt_state, hyper_params, data, key):
        """data: videos f32[N, T, H, W, 3], latents f32[N, D], grid f32[T*H*W, 3], mean,
        std f32[D]."""
        videos, latents, grid, mean, std = data
        kv, km, kp = jax.random.split(key, 3)
        idx = jax.random.randint(kv, (settings.batch,), 0, videos.shape[0])
        masks_ = masks.draw(km, settings.batch)
        clips = videos[idx]
        pix = jax.random.choice(kp, grid.shape[0], (min(settings.pixels, grid.shape[0]),), False)
        targets = clips.reshape(settings.batch, -1, 3)[:, pix]
        args = (hyper_params, clips, masks_, latents[idx], grid[pix], targets, mean, std)
        (loss, (render, cons)), grads = grad_fn(params, *args)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, jnp.stack([loss, render, cons])

    return tx, step


@functools.lru_cache(maxsize=8)
def _eval_fn(module, model, loss: EncoderLoss):
    def evaluate(params, hyper_params, videos, masks, z_target, grid, mean, std):
        z = latents_from(module, params, mean, std, videos, masks)
        pred = render_chunked(model.hyper(hyper_params, z), grid, model.inr_spec, 1 << 14)
        render = loss.render_term(pred, videos.reshape(videos.shape[0], -1, 3))
        consistency = loss.consistency_term(z, z_target, std)
        return jnp.stack([loss.total(render, consistency), render, consistency])

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
    spec, mean, std, done = _encoder_start(previous, sizes, latents)
    module, mean, std = spec.build(), jnp.asarray(mean, jnp.float32), jnp.asarray(std, jnp.float32)
    tx, step = _make_step(module, trained.model, settings, TaskMasks.of(shape))
    params, opt_state = _initial_state(module, tx, previous, shape, settings.seed)
    grid = jnp.asarray(make_grid(*shape))
    data = (jnp.asarray(videos), jnp.asarray(latents), grid, mean, std)
    bank, _ = mask_bank(shape)
    n_eval = min(EVAL_CLIPS, len(videos))
    eval_args = (videos[:n_eval], bank[np.arange(n_eval) % len(bank)], latents[:n_eval], grid,
                 mean, std)  # fmt: skip
    evaluate = _eval_fn(module, trained.model, settings.loss)
    before = _losses(evaluate(params, trained.params, *eval_args))
    records = list(previous.meta.get("records", [])) if previous is not None else []
    start = time.perf_counter()
    params, opt_state = _train_steps(
        step, params, opt_state, trained.params, data, settings, done, records, log
    )
    seconds = time.perf_counter() - start
    after = _losses(evaluate(params, trained.params, *eval_args))
    meta = {
        **_record(spec, previous, trained, shape),
        "steps": done + settings.steps,
        "settings": dataclasses.asdict(settings),
        "tasks": list(TRAIN_TASKS),
        "seconds": seconds + (previous.meta.get("seconds", 0.0) if previous is not None else 0.0),
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
    return Encoder(spec, arrays, meta)


def _record(spec: EncoderSpec, previous: Encoder | None, trained, shape) -> dict:
    """The part of the record that says what the encoder is and how it was trained: after a
    joint encoder, ["joint", "posthoc"]. (Seconds and records count post-hoc training only: a
    joint encoder's time is the model's.)"""
    training = list(previous.meta["training"]) if previous is not None else []
    if training[-1:] != ["posthoc"]:
        training.append("posthoc")
    return {"spec": spec.to_meta(), "training": training, "model_step": int(trained.step),
            "video_shape": list(shape)}  # fmt: skip


def _encoder_start(previous: Encoder | None, sizes: EncoderSettings | None, latents):
    """(spec, latent mean f32[D], std f32[D], steps done) of the encoder to train:
    ``previous``'s own, else a new one of ``sizes`` (default ``default_config()``)
    normalising by the latents' statistics."""
    if previous is not None:
        mean, std = previous.arrays["latent_mean"], previous.arrays["latent_std"]
        return previous.spec, mean, std, int(previous.meta["steps"])
    spec = EncoderSpec.of(sizes or default_config(), latents.shape[1])
    return spec, latents.mean(0), np.maximum(latents.std(0), 1e-6), 0


def _initial_state(module, tx, previous: Encoder | None, shape, seed: int):
    """(params, opt_state): ``previous``'s, else freshly initialised for (T, H, W) ``shape``
    (a joint encoder's params with a fresh Adam state: its own lives in the model's)."""
    if previous is not None and "opt_state" not in previous.arrays:
        return previous.arrays["params"], tx.init(previous.arrays["params"])
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
    """Train or continue the encoder of ``workdir`` (model checkpoint ``step``, default newest:
    its stored encoder, else the model's joint one, else a new one), save it to
    ``WORKDIR/encoder`` and return it."""
    trained = load_trained(workdir, step)
    previous = None
    if has_encoder(workdir, trained):  # a stored one, or the model's joint one to continue
        previous = load_encoder(workdir, trained.step, trained.latents.shape[1], trained=trained)
        if list(previous.meta["video_shape"]) != list(trained.video_shape):
            raise InputError(
                f"the encoder in {workdir}/encoder was trained on {previous.meta['video_shape']} "
                f"clips, the model's are {list(trained.video_shape)}: delete {workdir}/encoder"
            )
    encoder = train_encoder(trained, settings, previous, log=log)
    save_encoder(workdir, encoder)
    return encoder
