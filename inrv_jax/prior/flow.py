"""Rectified flow (flow matching on straight paths) over standardized latents.

A time-conditioned MLP ``v(x_t, t)`` learns the velocity ``x1 - x0`` on ``x_t = (1-t) x0 + t x1``,
``x0 ~ N(0, I)``, ``x1`` a latent (Liu et al. 2022, "Flow Straight and Fast"). Sampling integrates
``dx/dt = v`` from noise at t=0 to t=1 with Euler or Heun steps; the sampler is compiled once per
(num, steps, method) — ``TRACES`` counts its traces.
"""

from __future__ import annotations

import collections
import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from inrv_jax.errors import InputError
from inrv_jax.prior.kind import Kind

TIME_FREQS = 8  # sin/cos time features at 2^0..2^7 pi
LOSS_TAIL = 100  # final loss = mean over the last steps (one batch is noisy)
TRACES: collections.Counter = collections.Counter()  # (num, steps, method) -> traces of sample


class Velocity(nn.Module):
    """v(x f32[B, D], t f32[B]) -> f32[B, D]: an MLP on x and sinusoidal features of t."""

    hidden: int
    depth: int

    @nn.compact
    def __call__(self, x, t):
        freqs = jnp.pi * 2.0 ** jnp.arange(TIME_FREQS)
        tf = t[:, None] * freqs
        h = jnp.concatenate([x, jnp.sin(tf), jnp.cos(tf)], axis=-1)
        for _ in range(self.depth):
            h = nn.silu(nn.Dense(self.hidden)(h))
        # Zero-initialised output: the untrained flow is the identity map of the noise.
        return nn.Dense(x.shape[-1], kernel_init=nn.initializers.zeros)(h)


def _loss(params, net, x1, key):
    k0, kt = jax.random.split(key)
    x0 = jax.random.normal(k0, x1.shape)
    t = jax.random.uniform(kt, (x1.shape[0],))
    xt = (1 - t[:, None]) * x0 + t[:, None] * x1
    return jnp.mean((net.apply(params, xt, t) - (x1 - x0)) ** 2)


@functools.partial(jax.jit, static_argnames=("hidden", "depth", "steps", "batch", "lr"))
def _train(data, key, *, hidden, depth, steps, batch, lr):
    """All ``steps`` Adam steps in one compiled scan -> (params, losses f32[steps])."""
    net = Velocity(hidden, depth)
    k_init, k_run = jax.random.split(key)
    params = net.init(k_init, data[:1], jnp.zeros((1,)))
    opt = optax.adam(optax.cosine_decay_schedule(lr, steps, alpha=0.05))

    def step(carry, k):
        params, opt_state = carry
        k_batch, k_loss = jax.random.split(k)
        x1 = data[jax.random.randint(k_batch, (batch,), 0, data.shape[0])]
        loss, grads = jax.value_and_grad(_loss)(params, net, x1, k_loss)
        updates, opt_state = opt.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    (params, _), losses = jax.lax.scan(
        step, (params, opt.init(params)), jax.random.split(k_run, steps)
    )
    return params, losses


def fit(x: np.ndarray, seed: int, options: dict):
    """x f32[N, D] -> ({"params": flax params}, mean flow-matching loss of the last steps)."""
    for key in ("steps", "hidden", "depth", "batch", "sample_steps"):
        if options[key] < 1:
            raise InputError(f"flow option --{key.replace('_', '-')} must be >= 1")
    params, losses = _train(
        jnp.asarray(x, jnp.float32),
        jax.random.key(seed),
        hidden=options["hidden"],
        depth=options["depth"],
        steps=options["steps"],
        batch=min(options["batch"], len(x)),
        lr=options["lr"],
    )
    params = jax.tree.map(np.asarray, params)
    return {"params": params}, float(np.mean(np.asarray(losses)[-LOSS_TAIL:]))


def _euler(v, x, t, dt):
    return x + dt * v(x, t)


def _heun(v, x, t, dt):
    d1 = v(x, t)
    d2 = v(x + dt * d1, t + dt)
    return x + dt * 0.5 * (d1 + d2)


SOLVERS = {"euler": _euler, "heun": _heun}


@functools.partial(jax.jit, static_argnames=("num", "steps", "method", "hidden", "depth"))
def _sample(params, key, *, num, steps, method, hidden, depth):
    TRACES[(num, steps, method)] += 1  # runs at trace time only
    net = Velocity(hidden, depth)
    dim = params["params"]["Dense_0"]["kernel"].shape[0] - 2 * TIME_FREQS
    dt = 1.0 / steps

    def v(x, t):
        return net.apply(params, x, jnp.full((num,), t))

    def body(i, x):
        return SOLVERS[method](v, x, i * dt, dt)

    return jax.lax.fori_loop(0, steps, body, jax.random.normal(key, (num, dim)))


def sample(arrays, key, num: int, options: dict) -> jnp.ndarray:
    if options["solver"] not in SOLVERS:
        raise InputError(f"flow solver {options['solver']!r} unknown; use one of {list(SOLVERS)}")
    return _sample(
        arrays["params"],
        key,
        num=num,
        steps=options["sample_steps"],
        method=options["solver"],
        hidden=options["hidden"],
        depth=options["depth"],
    )


KIND = Kind(
    fit,
    sample,
    {
        "steps": 3000,
        "hidden": 256,
        "depth": 3,
        "batch": 256,
        "lr": 2e-3,
        "sample_steps": 32,
        "solver": "heun",
    },
)
