"""Vectorized latent inversion: fit only z (hypernetwork frozen) to many videos at once.

Each video's loss is the official observed-pixel MSE, ``sum_i w_i |f_z(x_i) - y_i|^2 / sum_i w_i``
over its observations (coordinates ``x_i``, colours ``y_i``, weights ``w_i``; a weight 0 is padding
or an unobserved pixel). The batch is ``vmap`` over videos with one Adam state per video (so a
video's trajectory does not depend on the others in its batch), the whole optimisation is one
``lax.scan`` inside one ``jit``, and videos are sharded over the ``data`` axis of a device mesh.

Only observed values enter the computation: targets are *gathered* at the observed coordinates
before the optimisation, so unobserved pixels (even NaNs) cannot influence the result.

Initialisations (``INITS``): ``zeros``; ``normal`` (N(0, 0.01²), the official code init);
``mean`` (mean learned latent); ``nearest`` (the learned latent whose rendering is closest, in
observed-pixel MSE, to each video: every learned latent is rendered at each video's observed
coordinates); ``encoder`` (the amortized guess of a trained ``inrv_jax.encoder.Encoder`` from the
observations scattered back onto the video grid, ``observed_grid``; ``inrv train-encoder``).
With ``steps=0`` the inversion returns its initial latents.
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

from inrv_jax import settings
from inrv_jax.coords import make_grid, output_grid
from inrv_jax.inr import render_coords
from inrv_jax.runtime.stopwatch import Stopwatch
from inrv_jax.settings import MeshSettings
from inrv_jax.sharding import make_mesh

INITS = settings.INITS  # the names command lines offer


@dataclasses.dataclass(frozen=True)
class Observations:
    """What the inversion may see of B videos.

    Attributes:
      coords: f32[M, 3] shared by all videos, or f32[B, M, 3] per video; (t, h, w) in [-1, 1].
      targets: f32[B, M, 3] colours in [-1, 1] at those coordinates.
      weights: f32[B, M] >= 0 (0 = padding / ignore, k = observed k times).
    """

    coords: np.ndarray
    targets: np.ndarray
    weights: np.ndarray

    @property
    def shared(self) -> bool:
        return self.coords.ndim == 2

    def __len__(self) -> int:
        return self.targets.shape[0]

    def slice(self, start: int, stop: int) -> Observations:
        c = self.coords if self.shared else self.coords[start:stop]
        return Observations(c, self.targets[start:stop], self.weights[start:stop])


def observe(videos, weights, times=None, full_shape=None) -> Observations:
    """Observations of videos on their own grid under per-pixel weights.

    Args:
      videos: f32[B, T, H, W, 3] in [-1, 1].
      weights: f32[T, H, W] (one mask for all videos) or f32[B, T, H, W].
      times: optional frame times f32[T] (default: the official grid).
      full_shape: (T, H', W') of the grid the videos are a resized view of (super-resolution's
        low grid): pixels sit at their true positions in it (``coords.output_grid``); None:
        the videos' own grid.

    Returns:
      Observations with coordinates shared when every video has the same mask; only the
      observed pixels are gathered (per-video lists are padded to the longest with weight 0).
    """
    videos = np.asarray(videos, np.float32)
    b, t, h, w, _ = videos.shape
    if full_shape is None:
        grid = make_grid(t, h, w, times)  # [N, 3]
    else:
        grid = output_grid((t, h, w), (t, *tuple(full_shape)[1:]), times)[0]
    flat = videos.reshape(b, t * h * w, 3)
    weights = np.asarray(weights, np.float32)
    if weights.shape == (t, h, w):
        idx = np.flatnonzero(weights.reshape(-1) > 0)
        return Observations(
            grid[idx], flat[:, idx], np.broadcast_to(weights.reshape(-1)[idx], (b, idx.size)).copy()
        )
    if weights.shape != (b, t, h, w):
        raise ValueError(f"weights must be [T, H, W] or [B, T, H, W], got {weights.shape}")
    wf = weights.reshape(b, -1)
    lists = [np.flatnonzero(row > 0) for row in wf]
    m = max(1, max(len(x) for x in lists))
    coords = np.zeros((b, m, 3), np.float32)
    targets = np.zeros((b, m, 3), np.float32)
    ws = np.zeros((b, m), np.float32)
    for i, idx in enumerate(lists):
        coords[i, : idx.size], targets[i, : idx.size], ws[i, : idx.size] = (
            grid[idx],
            flat[i, idx],
            wf[i, idx],
        )
    return Observations(coords, targets, ws)


def _video_loss(model, params, z, coords, target, weight):
    """Observed-pixel MSE of one video: z f32[D], coords f32[M, 3], target [M, 3], weight [M]."""
    inr = jax.tree.map(lambda a: a[0], model.hyper(params, z[None]))
    pred = render_coords(inr, coords, model.inr_spec)
    sq = jnp.mean(jnp.square(pred - target), axis=-1)
    return jnp.sum(weight * sq) / jnp.maximum(jnp.sum(weight), 1e-12)


def step_pixels(coords, targets, weights, key, i, pixels_per_step: int | None, shared: bool):
    """The pixels of optimisation step ``i``: all M of them, or ``pixels_per_step`` drawn without
    replacement (the same draw for every video of the batch).

    coords f32[M, 3] (``shared``) or f32[B, M, 3]; targets f32[B, M, 3]; weights f32[B, M].
    """
    m = targets.shape[1]
    if pixels_per_step is None or pixels_per_step >= m:
        return coords, targets, weights
    idx = jax.random.choice(jax.random.fold_in(key, i), m, (pixels_per_step,), False)
    c = jnp.take(coords, idx, axis=0 if shared else 1)
    return c, jnp.take(targets, idx, axis=1), jnp.take(weights, idx, axis=1)


@functools.lru_cache(maxsize=16)
def _make_optimize(model, steps: int, lr: float, shared: bool, pixels_per_step: int | None):
    """The jitted batch optimisation: (params, z0[B, D], coords, targets, weights, key) ->
    (z[B, D], losses[steps, B])."""
    tx = optax.adam(lr)
    coord_axis = None if shared else 0
    grad_fn = jax.vmap(
        jax.value_and_grad(functools.partial(_video_loss, model), argnums=1),
        in_axes=(None, 0, coord_axis, 0, 0),
    )

    def optimize(params, z0, coords, targets, weights, key):
        params = jax.lax.stop_gradient(params)  # the hypernetwork is frozen
        opt_state = jax.vmap(tx.init)(z0)

        def step(carry, i):
            z, opt_state = carry
            c, y, w = step_pixels(coords, targets, weights, key, i, pixels_per_step, shared)
            loss, grads = grad_fn(params, z, c, y, w)
            updates, opt_state = jax.vmap(tx.update)(grads, opt_state, z)
            return (optax.apply_updates(z, updates), opt_state), loss

        (z, _), losses = jax.lax.scan(step, (z0, opt_state), jnp.arange(steps))
        return z, losses

    return optimize


def data_mesh(batch: int, devices=None):
    """A (data, 1) mesh over the largest number of devices that divides ``batch``."""
    devices = list(jax.devices() if devices is None else devices)
    d = max(k for k in range(1, min(batch, len(devices)) + 1) if batch % k == 0)
    return make_mesh(MeshSettings(data=d, model=1), devices[:d])


@functools.lru_cache(maxsize=16)
def _jit_optimize(model, steps, lr, shared, pixels_per_step, mesh):
    fn = _make_optimize(model, steps, lr, shared, pixels_per_step)
    rep, bat = NamedSharding(mesh, P()), NamedSharding(mesh, P("data"))
    return jax.jit(
        fn,
        in_shardings=(rep, bat, rep if shared else bat, bat, bat, rep),
        out_shardings=(bat, NamedSharding(mesh, P(None, "data"))),
    )


def nearest_latents(model, params, learned, obs: Observations, chunk: int = 32) -> np.ndarray:
    """For each video, the learned latent whose rendering best matches its observations.

    Args:
      learned: f32[L, D] learned latents.
      obs: B videos' observations.
      chunk: learned latents rendered per call (bounds memory: chunk × B × M pixels).

    Returns:
      f32[B, D].
    """
    learned = np.asarray(learned, np.float32)
    best = np.full(len(obs), np.inf)
    arg = np.zeros(len(obs), np.int64)
    dist = _nearest_dist_fn(model, obs.shared)
    for start in range(0, learned.shape[0], chunk):
        zs = learned[start : start + chunk]
        d = np.asarray(dist(params, jnp.asarray(zs), obs.coords, obs.targets, obs.weights))
        better = d.min(axis=0) < best  # d: [L, B]
        arg = np.where(better, start + d.argmin(axis=0), arg)
        best = np.minimum(best, d.min(axis=0))
    return learned[arg]


@functools.lru_cache(maxsize=8)
def _nearest_dist_fn(model, shared: bool):
    def dist(params, zs, coords, targets, weights):
        inr = model.hyper(params, zs)  # [L, ...]
        flat = coords if shared else coords.reshape(-1, 3)
        pred = jax.vmap(functools.partial(render_coords, spec=model.inr_spec), (0, None))(
            inr, flat
        )  # [L, M or B*M, 3]
        if not shared:
            pred = pred.reshape(zs.shape[0], *coords.shape)  # [L, B, M, 3]
        else:
            pred = pred[:, None]
        sq = jnp.mean(jnp.square(pred - targets[None]), axis=-1)  # [L, B, M]
        return jnp.sum(sq * weights[None], -1) / jnp.maximum(jnp.sum(weights, -1), 1e-12)

    return jax.jit(dist)


def observed_grid(obs: Observations, shape) -> tuple[np.ndarray, np.ndarray]:
    """The observations scattered back onto a (T, H, W) grid (``coords.make_grid``'s points).

    Returns:
      (videos f32[B, T, H, W, 3], 0 where unobserved; masks f32[B, T, H, W] in {0, 1}).
    """
    t, h, w = (int(x) for x in shape)
    b = len(obs)
    coords = np.broadcast_to(obs.coords, (b, *obs.coords.shape[-2:]))
    # Inverse of make_grid: x in [-1, 1] -> index round((x + 1) / 2 * (n - 1)).
    idx = [np.rint((coords[..., k] + 1) / 2 * max(n - 1, 1)).astype(np.int64)
           for k, n in enumerate((t, h, w))]  # fmt: skip
    flat = (idx[0] * h + idx[1]) * w + idx[2]  # [B, M]
    seen = obs.weights > 0
    videos = np.zeros((b, t * h * w, 3), np.float32)
    masks = np.zeros((b, t * h * w), np.float32)
    rows = np.broadcast_to(np.arange(b)[:, None], flat.shape)
    videos[rows[seen], flat[seen]] = obs.targets[seen]
    masks[rows[seen], flat[seen]] = 1.0
    return videos.reshape(b, t, h, w, 3), masks.reshape(b, t, h, w)


def initial_latents(init: str, num: int, learned, *, seed: int = 0, model=None, params=None,
                    obs: Observations | None = None, encoder=None,
                    shape=None) -> np.ndarray:  # fmt: skip
    """Starting latents f32[num, D] for one of ``INITS`` (``nearest`` needs model/params/obs;
    ``encoder`` needs obs, the ``Encoder`` and the (T, H, W) grid the observations lie on)."""
    learned = np.asarray(learned, np.float32)
    d = learned.shape[1]
    if init == "zeros":
        return np.zeros((num, d), np.float32)
    if init == "normal":
        return 0.01 * np.asarray(jax.random.normal(jax.random.key(seed), (num, d)), np.float32)
    if init == "mean":
        return np.broadcast_to(learned.mean(axis=0), (num, d)).copy()
    if init == "nearest":
        return nearest_latents(model, params, learned, obs)
    if init == "encoder":
        if encoder is None or shape is None:
            raise ValueError("init 'encoder' needs encoder= (inrv_jax.encoder.load_encoder) and "
                             "shape=(T, H, W); train one with `inrv train-encoder`")  # fmt: skip
        return encoder.encode(*observed_grid(obs, shape))
    raise ValueError(f"unknown inversion init {init!r}; choose one of {INITS}")


@dataclasses.dataclass
class InversionResult:
    """latents f32[B, D]; losses f32[steps, B] (observed-pixel MSE before each step); seconds:
    the inversion's time without compilation (the init's encoder pass included);
    compile_seconds: its compilation (``runtime.stopwatch``)."""

    latents: np.ndarray
    losses: np.ndarray
    seconds: float = 0.0
    compile_seconds: float = 0.0


def invert(
    model,
    params,
    obs: Observations,
    *,
    learned=None,
    steps: int = 300,
    lr: float = 1e-2,
    init: str = "mean",
    z0=None,
    seed: int = 0,
    batch: int | None = None,
    pixels_per_step: int | None = None,
    devices=None,
    encoder=None,
    shape=None,
) -> InversionResult:
    """Invert B videos' observations into latents (only z is optimised, with Adam).

    Args:
      model, params: ``TrainedModel.model`` / ``.params``.
      obs: the observations (``observe`` / ``inrv_jax.tasks.invert.prepare``).
      learned: f32[L, D] learned latents (for the ``mean`` and ``nearest`` inits).
      steps, lr: Adam steps and learning rate.
      init: one of ``INITS``; ignored when ``z0`` f32[B, D] is given.
      batch: videos per compiled call (default all B); the last batch is padded with
        zero-weight copies, so every call has the same shape.
      pixels_per_step: optional random subset of observation slots per step (bounds memory for
        large videos on accelerators); default every observed pixel every step.
      devices: devices of the ``data`` mesh axis (default all).
      encoder, shape: the ``encoder`` init's ``Encoder`` and the (T, H, W) grid the
        observations lie on (default the encoder's training clip shape).

    Returns:
      InversionResult (``steps=0``: the initial latents, losses f32[0, B]).
    """
    with Stopwatch() as clock:
        latents, losses = _invert(model, params, obs, learned, steps, lr, init, z0, seed, batch,
                                  pixels_per_step, devices, encoder, shape)  # fmt: skip
    return InversionResult(latents, losses, clock.seconds, clock.compile_seconds)


def _invert(model, params, obs, learned, steps, lr, init, z0, seed, batch, pixels_per_step,
            devices, encoder, shape) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """``invert``'s work: (latents f32[B, D], losses f32[steps, B]) as numpy (finished)."""
    n = len(obs)
    batch = n if batch is None else min(int(batch), n)
    if z0 is None:
        if learned is None:
            if init not in ("zeros", "normal", "encoder"):
                raise ValueError(f"init {init!r} needs the learned latents")
            learned = np.zeros((1, model.module.latent_dim), np.float32)
        if init == "encoder" and shape is None and encoder is not None:
            shape = encoder.meta["video_shape"]
        z0 = initial_latents(init, n, learned, seed=seed, model=model, params=params, obs=obs,
                             encoder=encoder, shape=shape)  # fmt: skip
    z0 = np.asarray(z0, np.float32)
    if int(steps) == 0:  # one pass: nothing to optimise (and nothing to compile)
        return z0, np.zeros((0, n), np.float32)
    mesh = data_mesh(batch, devices)
    fn = _jit_optimize(model, int(steps), float(lr), obs.shared, pixels_per_step, mesh)
    key = jax.random.key(seed)
    zs, losses = [], []
    for start in range(0, n, batch):
        part = obs.slice(start, start + batch)
        zb = z0[start : start + batch]
        pad = batch - len(part)
        if pad:  # zero-weight copies of the first video: same shapes, no effect on the others
            part = pad_observations(part, pad)
            zb = np.concatenate([zb, np.repeat(zb[:1], pad, 0)])
        z, loss = fn(params, zb, part.coords, part.targets, part.weights, key)
        zs.append(np.asarray(z)[: batch - pad])
        losses.append(np.asarray(loss)[:, : batch - pad])
    return np.concatenate(zs), np.concatenate(losses, axis=1)


def pad_observations(obs: Observations, pad: int) -> Observations:
    """``obs`` and ``pad`` zero-weight copies of its first video (same shapes, no effect)."""

    def rep(a):
        return np.concatenate([a, np.repeat(a[:1], pad, 0)])

    coords = obs.coords if obs.shared else rep(obs.coords)
    return Observations(
        coords,
        rep(obs.targets),
        np.concatenate([obs.weights, np.zeros((pad, obs.weights.shape[1]), np.float32)]),
    )
