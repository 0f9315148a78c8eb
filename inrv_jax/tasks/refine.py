"""Refinement of the generated INR: the hypernetwork as a learned initialization for per-video
fitting.

After latent inversion, each video's INR parameters ``hyper(z)`` are fine-tuned directly, on the
observed pixels only, with the same observed-pixel MSE as the inversion
(``sum_i w_i |f(x_i) - y_i|^2 / sum_i w_i``). As in ``inversion``: one Adam state per video by
``vmap``, all steps in one ``lax.scan`` under one ``jit``, videos sharded over the ``data`` axis,
and only observed values enter (targets are gathered at the observed coordinates beforehand).

Which leaves move is a partition of the INR tree (``PARTS``): ``all``; ``last`` (the output
layer); ``biases`` (every ``b``). The others get zero updates (``optax.multi_transform`` with
``set_to_zero``), so they stay exactly as the hypernetwork made them.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from inrv_jax.coords import make_grid
from inrv_jax.inr import inr_param_spec, render_chunked, render_coords
from inrv_jax.tasks.inversion import Observations, data_mesh, pad_observations, step_pixels


def _all(layer: int, name: str, depth: int) -> bool:
    return True


def _last(layer: int, name: str, depth: int) -> bool:
    return layer == depth - 1


def _biases(layer: int, name: str, depth: int) -> bool:
    return name == "b"


# name -> (layer index, leaf name, number of layers) -> trained?
PARTS = {"all": _all, "last": _last, "biases": _biases}


def trainable(spec_tree, part: str):
    """The INR tree (``({"w", "b"}, ...)``) as labels "train" / "freeze" for ``part``."""
    if part not in PARTS:
        raise ValueError(f"unknown refinement part {part!r}; choose one of {tuple(PARTS)}")
    depth = len(spec_tree)
    return tuple(
        {k: "train" if PARTS[part](i, k, depth) else "freeze" for k in layer}
        for i, layer in enumerate(spec_tree)
    )


def _video_loss(spec, inr, coords, target, weight):
    """Observed-pixel MSE of one INR: coords f32[M, 3], target f32[M, 3], weight f32[M]."""
    pred = render_coords(inr, coords, spec)
    sq = jnp.mean(jnp.square(pred - target), axis=-1)
    return jnp.sum(weight * sq) / jnp.maximum(jnp.sum(weight), 1e-12)


@functools.lru_cache(maxsize=16)
def _jit_refine(spec, steps: int, lr: float, part: str, shared: bool, pixels_per_step, mesh):
    """(inr [B, ...], coords, targets, weights, key) -> (inr [B, ...], losses f32[steps, B])."""
    coord_axis = None if shared else 0
    grad_fn = jax.vmap(
        jax.value_and_grad(functools.partial(_video_loss, spec)), in_axes=(0, coord_axis, 0, 0)
    )

    def refine_fn(inr, coords, targets, weights, key):
        one = jax.tree.map(lambda a: a[0], inr)
        tx = optax.multi_transform(
            {"train": optax.adam(lr), "freeze": optax.set_to_zero()}, trainable(one, part)
        )
        opt_state = jax.vmap(tx.init)(inr)

        def step(carry, i):
            p, opt_state = carry
            c, y, w = step_pixels(coords, targets, weights, key, i, pixels_per_step, shared)
            loss, grads = grad_fn(p, c, y, w)
            updates, opt_state = jax.vmap(tx.update)(grads, opt_state, p)
            return (optax.apply_updates(p, updates), opt_state), loss

        (inr, _), losses = jax.lax.scan(step, (inr, opt_state), jnp.arange(steps))
        return inr, losses

    rep, bat = NamedSharding(mesh, P()), NamedSharding(mesh, P("data"))
    return jax.jit(
        refine_fn,
        in_shardings=(bat, rep if shared else bat, bat, bat, rep),
        out_shardings=(bat, NamedSharding(mesh, P(None, "data"))),
    )


@dataclasses.dataclass
class RefineResult:
    """inr: INR trees with a leading B (numpy); losses f32[steps, B] (observed-pixel MSE before
    each step)."""

    inr: object
    losses: np.ndarray


def refine(model, params, latents, obs: Observations, *, steps: int = 100, lr: float = 1e-4,
           part: str = "all", batch: int | None = None, pixels_per_step: int | None = None,
           seed: int = 0, devices=None) -> RefineResult:  # fmt: skip
    """Fine-tune the INRs ``hyper(latents)`` of B videos on their observations.

    Args:
      model, params: ``TrainedModel.model`` / ``.params`` (the frozen hypernetwork).
      latents: f32[B, D], e.g. ``invert(...).latents``.
      obs: the observations the latents were inverted from.
      steps, lr: Adam steps and learning rate on the INR parameters.
      part: which leaves move (``PARTS``).
      batch, pixels_per_step, devices: as for ``inversion.invert``.
    """
    n = len(obs)
    batch = n if batch is None else min(int(batch), n)
    latents = np.asarray(latents, np.float32)
    trainable(inr_param_spec(model.inr_spec), part)  # an unknown part fails before any work
    mesh = data_mesh(batch, devices)
    fn = _jit_refine(model.inr_spec, int(steps), float(lr), part, obs.shared, pixels_per_step,
                     mesh)  # fmt: skip
    hyper = jax.jit(model.hyper)
    key = jax.random.key(seed)
    inrs, losses = [], []
    for start in range(0, n, batch):
        part_obs = obs.slice(start, start + batch)
        zb = latents[start : start + batch]
        pad = batch - len(part_obs)
        if pad:
            part_obs = pad_observations(part_obs, pad)
            zb = np.concatenate([zb, np.repeat(zb[:1], pad, 0)])
        inr = hyper(params, jnp.asarray(zb))
        inr, loss = fn(inr, part_obs.coords, part_obs.targets, part_obs.weights, key)
        inrs.append(jax.tree.map(lambda a, k=batch - pad: np.asarray(a)[:k], inr))
        losses.append(np.asarray(loss)[:, : batch - pad])
    inr = jax.tree.map(lambda *xs: np.concatenate(xs), *inrs)
    return RefineResult(inr, np.concatenate(losses, axis=1))


def render_inrs(spec, inr, shape, batch: int = 16, chunk: int = 1 << 14) -> np.ndarray:
    """INR trees with a leading B -> videos f32[B, T, H, W, 3] on the (T, H, W) grid."""
    t, h, w = (int(x) for x in shape)
    grid = jnp.asarray(make_grid(t, h, w))
    b = jax.tree.leaves(inr)[0].shape[0]
    fn = _render_fn(spec, chunk)
    out = [
        np.asarray(fn(jax.tree.map(lambda a, i=i: a[i : i + batch], inr), grid))
        for i in range(0, b, batch)
    ]
    return np.concatenate(out).reshape(b, t, h, w, 3)


@functools.lru_cache(maxsize=8)
def _render_fn(spec, chunk: int):
    return jax.jit(lambda inr, grid: render_chunked(inr, grid, spec, chunk))
