"""The paper's per-video baseline: fit one INR directly to one video (no hypernetwork).

CLI: ``inrv fit-single VIDEO [--frames T --size H,W --steps N --lr LR --kind relu_pe|siren]``
prints and writes PSNR against steps (``--out DIR``: psnr.json, recon.mp4/gif/npy).
"""

from __future__ import annotations

import functools
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from inrv_jax.coords import make_grid, num_sampled, sample_indices
from inrv_jax.inr import INRSpec, chunked_inr_grad, coords_per_chunk, inr_init, render_chunked
from inrv_jax.losses import mse_to_psnr


def fit_videos(
    videos: np.ndarray,
    spec: INRSpec | None = None,
    *,
    steps: int = 2000,
    lr: float = 1e-3,
    sample_frac: float = 1.0,
    seconds: float | None = None,
    eval_every: int = 100,
    seed: int = 0,
    chunk: int = 1 << 16,
    log=None,
):
    """Fit one INR per video to ``videos`` f32[B, T, H, W, 3] in [-1, 1], all in one jitted step.

    Each video has its own parameters; Adam is elementwise, so one Adam over the stacked
    parameters is B independent Adams (a video's fit does not depend on the others). A step uses
    the same ``sample_frac`` of the pixels for every video, ``chunk`` coordinates at a time
    (``inr.chunked_inr_grad``), so memory stays bounded for long videos and large B.

    Args:
      steps: the most steps.
      seconds: wall-clock budget of the whole fit (compilation included, as the inversion's
        time includes its own); the fit stops after the step that reaches it (at least one
        step). None: run all ``steps``.
      eval_every: record full-grid PSNR every this many steps and at the end; 0: never (the
        curve's one entry has psnr None; the PSNR would cost a compilation in a timed fit).

    Returns:
      (params with a leading B on every leaf, curve: a list of {"step", "psnr", "seconds"} with
      the full-grid PSNR of the mean MSE over the videos; seconds since the call).
    """
    start = time.perf_counter()
    spec = INRSpec() if spec is None else spec
    videos = jnp.asarray(videos, jnp.float32)
    b, t, h, w, _ = videos.shape
    coords = jnp.asarray(make_grid(t, h, w))
    targets = videos.reshape(b, -1, 3)  # [B, N, 3]
    n = num_sampled(coords.shape[0], sample_frac)
    chunk = min(chunk, coords_per_chunk(b, n))
    key = jax.random.key(seed)
    params = _init(key, b, spec)
    opt_state = optax.adam(lr).init(params)
    curve = []
    for i in range(steps):
        params, opt_state, dist = _step(
            params, opt_state, coords, targets, jax.random.fold_in(key, i),
            spec=spec, lr=lr, n=n, chunk=chunk,
        )  # fmt: skip
        # Waiting for the step is what makes the clock honest (dispatch is asynchronous).
        last = i + 1 == steps or (seconds is not None and _elapsed(dist, start) >= seconds)
        if eval_every and ((i + 1) % eval_every == 0 or last):
            curve.append(_curve_point(params, coords, targets, spec, chunk, i + 1, start, log))
        if last:
            break
    if not eval_every:
        curve.append({"step": i + 1, "psnr": None, "seconds": _elapsed(dist, start)})
    return params, curve


def _curve_point(params, coords, targets, spec, chunk, step: int, start: float, log) -> dict:
    """{"step", "psnr", "seconds"} after ``step`` steps: the full-grid PSNR of the mean MSE over
    the videos, and the seconds since ``start``; ``log``ged when given."""
    pred = _render(params, coords, spec, chunk)
    psnr = float(mse_to_psnr(jnp.mean(jnp.square(pred - targets))))
    point = {"step": step, "psnr": psnr, "seconds": time.perf_counter() - start}
    if log:
        log(f"step {step:6d}  psnr {psnr:6.2f} dB")
    return point


def fresh_inrs(spec: INRSpec, num: int, seed: int = 0):
    """``num`` freshly initialised INRs (video i's from ``fold_in(key(seed), i)``), stacked."""
    return _init(jax.random.key(seed), num, spec)


def _init(key, num: int, spec: INRSpec):
    """Video i's INR from ``fold_in(key, i)``, stacked: a leading ``num`` on every leaf."""
    # A loop over one jitted init: vmapping the random draws compiles ~6x slower on CPU.
    fits = [_init_one(jax.random.fold_in(key, i), spec) for i in range(num)]
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *fits)


# Module-level and jitted with static settings, so repeated fits of one shape compile once
# (a compilation inside a timed fit would eat its budget).
_init_one = jax.jit(inr_init, static_argnums=1)


@functools.partial(jax.jit, static_argnames=("spec", "lr", "n", "chunk"))
def _step(params, opt_state, coords, targets, key, *, spec, lr, n, chunk):
    """One Adam step of B INRs on ``n`` sampled pixels: (params, opt_state, MSE f32[B])."""
    tx = optax.adam(lr)
    idx = sample_indices(key, coords.shape[0], n)
    dist, _, grads = chunked_inr_grad(params, coords[idx], targets[:, idx], spec, jnp.square, chunk)
    # The gradient is of the mean over videos: times B, each video's own gradient.
    grads = jax.tree.map(lambda g: g * targets.shape[0], grads)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, dist


def _elapsed(result, start: float) -> float:
    jax.block_until_ready(result)
    return time.perf_counter() - start


def fit_single(video: np.ndarray, spec: INRSpec | None = None, **kwargs):
    """Fit one INR to ``video`` f32[T, H, W, 3] in [-1, 1] with Adam on the MSE.

    ``kwargs``: those of ``fit_videos`` (steps, lr, sample_frac, seconds, eval_every, seed,
    chunk, log).

    Returns:
      (params, curve) where curve is a list of {"step", "psnr", "seconds"} (PSNR on the
      full grid, measured every ``eval_every`` steps and at the end).
    """
    params, curve = fit_videos(np.asarray(video)[None], spec, **kwargs)
    return jax.tree.map(lambda a: a[0], params), curve


@functools.partial(jax.jit, static_argnums=(2, 3))
def _render(params, coords, spec, chunk):
    return render_chunked(params, coords, spec, chunk)
