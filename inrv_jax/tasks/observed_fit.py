"""Fitting INR parameters directly to observations, one Adam state per video.

The engine of two methods: refinement of the INRs the hypernetwork generated
(``tasks.refine``) and the fit-single baseline, a fresh INR per video
(``tasks.baselines``). Both minimise the inversion's observed-pixel MSE
(``sum_i w_i |f(x_i) - y_i|^2 / sum_i w_i``) on the pixels the inversion's own sampler draws
(``inversion.step_pixels``: with the same seed and ``pixels_per_step``, step i of either sees
exactly the pixels step i of the inversion saw), plus an optional **anchor**: ``anchor`` x the
mean squared distance of the parameters from where they started, which keeps a refined INR near
the generated one (its unobserved pixels then stay close to what the latent space predicts).

Which leaves move is a partition of the INR tree (``PARTS``): ``all``; ``last`` (the output
layer); ``biases`` (every ``b``). The others get zero updates (``optax.multi_transform`` with
``set_to_zero``), so they stay exactly as they started.

Steps run ``chunk_steps`` at a time in one jitted ``lax.scan`` (videos vmapped, sharded over the
``data`` axis). ``seconds`` bounds the optimisation's own time, compilation excluded
(``runtime.stopwatch``): the fit stops after the chunk that reaches it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from inrv_jax.inr import inr_param_spec, render_coords
from inrv_jax.runtime.stopwatch import Stopwatch
from inrv_jax.tasks.inversion import Observations, data_mesh, pad_observations, step_pixels


def _all(layer: int, name: str, depth: int) -> bool:
    return True


def _last(layer: int, name: str, depth: int) -> bool:
    return layer == depth - 1


def _biases(layer: int, name: str, depth: int) -> bool:
    return name == "b"


# name -> (layer index, leaf name, number of layers) -> trained?
PARTS = {"all": _all, "last": _last, "biases": _biases}
# Steps per compiled chunk of a fit with a time budget (the budget is checked between chunks).
BUDGET_CHUNK = 25


def trainable(spec_tree, part: str):
    """The INR tree (``({"w", "b"}, ...)``) as labels "train" / "freeze" for ``part``."""
    if part not in PARTS:
        raise ValueError(f"unknown refinement part {part!r}; choose one of {tuple(PARTS)}")
    depth = len(spec_tree)
    return tuple(
        {k: "train" if PARTS[part](i, k, depth) else "freeze" for k in layer}
        for i, layer in enumerate(spec_tree)
    )


@dataclasses.dataclass(frozen=True)
class FitSettings:
    """How INRs are fitted to observations.

    Attributes:
      steps: the most Adam steps.
      lr: Adam learning rate.
      part: which leaves move (``PARTS``).
      anchor: weight of the mean squared distance of the moving parameters from their start.
      pixels_per_step: observed pixels drawn a step (None: all of them every step).
      seconds: budget of the optimisation's own time (compilation excluded); None: all steps.
      chunk_steps: steps per compiled call (0: all steps at once, ``BUDGET_CHUNK`` with a
        budget).
      seed: the pixel draws (the inversion's with the same seed).
    """

    steps: int
    lr: float
    part: str = "all"
    anchor: float = 0.0
    pixels_per_step: int | None = None
    seconds: float | None = None
    chunk_steps: int = 0
    seed: int = 0


@dataclasses.dataclass
class FitResult:
    """inr: INR trees with a leading B (numpy); losses f32[S, B], the observed-pixel MSE before
    each of the S steps taken; seconds: optimisation time, compile_seconds: compilation time;
    snapshots: [(seconds, steps, inr)] taken at the first chunk end at or after each time asked
    for (``fit_observations(snapshots=...)``)."""

    inr: object
    losses: np.ndarray
    seconds: float
    compile_seconds: float
    snapshots: list = dataclasses.field(default_factory=list)

    @property
    def steps(self) -> int:
        return int(self.losses.shape[0])


def _video_loss(spec, anchor: float, count: int, inr, start, coords, target, weight):
    """(objective, observed-pixel MSE) of one INR on coords f32[M, 3], target f32[M, 3],
    weight f32[M]; ``start``: the INR the anchor pulls towards, ``count`` its trained size."""
    pred = render_coords(inr, coords, spec)
    sq = jnp.mean(jnp.square(pred - target), axis=-1)
    mse = jnp.sum(weight * sq) / jnp.maximum(jnp.sum(weight), 1e-12)
    if not anchor:
        return mse, mse
    # Frozen leaves never move, so their zero distance adds nothing.
    drift = sum(
        jnp.sum(jnp.square(a - b))
        for a, b in zip(jax.tree.leaves(inr), jax.tree.leaves(start), strict=True)
    )
    return mse + anchor * drift / count, mse


def _optimizer(spec, lr: float, part: str):
    labels = trainable(inr_param_spec(spec), part)
    return optax.multi_transform({"train": optax.adam(lr), "freeze": optax.set_to_zero()}, labels)


def _trained_count(spec, part: str) -> int:
    labels, shapes = trainable(inr_param_spec(spec), part), inr_param_spec(spec)
    return sum(
        int(np.prod(shape.shape))
        for label, shape in zip(jax.tree.leaves(labels), jax.tree.leaves(shapes), strict=True)
        if label == "train"
    )


@functools.lru_cache(maxsize=16)
def _jit_chunk(spec, steps: int, lr: float, part: str, anchor: float, shared: bool,
               pixels_per_step, mesh):  # fmt: skip
    """(inr, opt_state, start, coords, targets, weights, key, first) -> (inr, opt_state,
    MSE f32[steps, B]): ``steps`` Adam steps from step index ``first``."""
    tx = _optimizer(spec, lr, part)
    loss = functools.partial(_video_loss, spec, anchor, _trained_count(spec, part))
    coord_axis = None if shared else 0
    grad_fn = jax.vmap(jax.value_and_grad(loss, has_aux=True), in_axes=(0, 0, coord_axis, 0, 0))

    def chunk(inr, opt_state, start, coords, targets, weights, key, first):
        def step(carry, i):
            p, s = carry
            c, y, w = step_pixels(coords, targets, weights, key, first + i, pixels_per_step, shared)
            (_, mse), grads = grad_fn(p, start, c, y, w)
            updates, s = jax.vmap(tx.update)(grads, s, p)
            return (optax.apply_updates(p, updates), s), mse

        (inr, opt_state), mse = jax.lax.scan(step, (inr, opt_state), jnp.arange(steps))
        return inr, opt_state, mse

    rep, bat = NamedSharding(mesh, P()), NamedSharding(mesh, P("data"))
    return jax.jit(
        chunk,
        in_shardings=(bat, bat, bat, rep if shared else bat, bat, bat, rep, rep),
        out_shardings=(bat, bat, NamedSharding(mesh, P(None, "data"))),
    )


@functools.lru_cache(maxsize=16)
def _jit_init(spec, lr: float, part: str):
    return jax.jit(jax.vmap(_optimizer(spec, lr, part).init))


def fit_observations(
    spec,
    starts: Callable[[int, int], object],
    obs: Observations,
    settings: FitSettings,
    *,
    batch: int | None = None,
    devices=None,
    snapshots: tuple[float, ...] = (),
) -> FitResult:
    """Fit B videos' INRs to their observations.

    Args:
      spec: the ``INRSpec``.
      starts: ``starts(i, j)`` -> the INR trees of videos i..j-1 (a leading j - i on every
        leaf) where their fits begin (and the anchor pulls).
      obs: the observations (``inversion.observe`` / ``invert.prepare``).
      settings: ``FitSettings``.
      batch: videos per compiled call (default all B; a time budget needs all B at once).
      devices: devices of the ``data`` mesh axis (default all).
      snapshots: optimisation times (seconds, compilation excluded) at which to keep a copy of
        the INRs (all videos in one batch): one fit gives a PSNR-against-time curve.

    Returns:
      FitResult (``steps=0``: the starting INRs).
    """
    n, s = len(obs), settings
    batch = n if batch is None else min(int(batch), n)
    if (s.seconds is not None or snapshots) and batch < n:
        raise ValueError("a time budget fits every video in one batch (batch=None)")
    _trained_count(spec, s.part)  # an unknown part fails before any work
    if int(s.steps) == 0:
        parts = [jax.tree.map(np.asarray, starts(i, min(i + batch, n))) for i in range(0, n, batch)]
        inr = jax.tree.map(lambda *xs: np.concatenate(xs), *parts)
        return FitResult(inr, np.zeros((0, n), np.float32), 0.0, 0.0)
    timed = s.seconds is not None or bool(snapshots)
    chunk = s.chunk_steps or (BUDGET_CHUNK if timed else int(s.steps))
    pending, taken = sorted(snapshots), []
    mesh = data_mesh(batch, devices)
    key = jax.random.key(s.seed)
    init = _jit_init(spec, float(s.lr), s.part)
    clock, inrs, losses = Stopwatch(), [], []
    for begin in range(0, n, batch):
        part_obs, start, pad = _padded_batch(obs, starts, begin, batch)
        inr, mse = _fit_batch(spec, s, part_obs, start, init, key, chunk, mesh, clock, pending,
                              taken, batch - pad)  # fmt: skip
        inrs.append(jax.tree.map(lambda a, k=batch - pad: a[:k], inr))
        losses.append(mse[:, : batch - pad])
    inr = jax.tree.map(lambda *xs: np.concatenate(xs), *inrs)
    return FitResult(inr, np.concatenate(losses, axis=1), clock.seconds, clock.compile_seconds,
                     taken)  # fmt: skip


def _padded_batch(
    obs: Observations, starts, begin: int, batch: int
) -> tuple[Observations, object, int]:
    """Videos begin..begin+batch-1 (fewer at the end) as (observations, starting INR trees,
    pad): the last batch is padded to ``batch`` with ``pad`` copies of its first video."""
    part_obs = obs.slice(begin, begin + batch)
    pad = batch - len(part_obs)
    start = starts(begin, begin + len(part_obs))
    if pad:  # zero-weight copies of the first video: same shapes, no effect on the others
        part_obs = pad_observations(part_obs, pad)
        start = jax.tree.map(lambda a, p=pad: jnp.concatenate([a, jnp.repeat(a[:1], p, 0)]),
                             start)  # fmt: skip
    return part_obs, start, pad


def _fit_batch(spec, s: FitSettings, obs: Observations, start, init, key, chunk: int, mesh,
               clock: Stopwatch, pending: list, taken: list, keep: int):  # fmt: skip
    """Up to ``s.steps`` Adam steps (state from ``init``) of one batch of B INRs from ``start``
    (trees with a leading B), ``chunk`` steps per compiled call, timed by ``clock`` (stopping
    at ``s.seconds`` of it).

    Every snapshot time in ``pending`` (sorted) that a chunk end reaches is moved to ``taken``
    as (seconds, steps, INRs of the first ``keep`` videos).

    Returns:
      (INR trees as numpy with a leading B, observed-pixel MSE f32[S, B] before each step).
    """
    with clock:
        inr, done, mse = start, 0, []
        opt_state = init(inr)
        while done < s.steps:
            k = min(chunk, int(s.steps) - done)
            fn = _jit_chunk(spec, k, float(s.lr), s.part, float(s.anchor), obs.shared,
                            s.pixels_per_step, mesh)  # fmt: skip
            inr, opt_state, m = fn(inr, opt_state, start, obs.coords, obs.targets, obs.weights,
                                   key, jnp.int32(done))  # fmt: skip
            mse.append(np.asarray(m))  # waits for the chunk: the clock is honest
            done += k
            now = clock.elapsed()
            while pending and now >= pending[0]:
                pending.pop(0)
                taken.append((now, done, jax.tree.map(lambda a: np.asarray(a)[:keep], inr)))
            if s.seconds is not None and now >= s.seconds:
                break
        inr = jax.tree.map(np.asarray, inr)
    return inr, np.concatenate(mse)
