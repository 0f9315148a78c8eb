"""The paper's per-video baseline: fit one INR directly to one video (no hypernetwork).

CLI: ``inrv fit-single VIDEO [--frames T --size H,W --steps N --lr LR --kind relu_pe|siren]``
prints and writes PSNR against steps (``--out DIR``: psnr.json, recon.mp4/gif/npy).
"""

from __future__ import annotations

import json
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from inrv_jax.coords import make_grid, num_sampled, sample_indices
from inrv_jax.data import open_source
from inrv_jax.data.parsing import parse_ints
from inrv_jax.errors import InputError
from inrv_jax.inr import INRSpec, inr_init, render_chunked, render_coords
from inrv_jax.losses import mse_to_psnr
from inrv_jax.pixels import to_unit_range
from inrv_jax.video_io import save_video


def fit_single(
    video: np.ndarray,
    spec: INRSpec | None = None,
    *,
    steps: int = 2000,
    lr: float = 1e-3,
    sample_frac: float = 1.0,
    eval_every: int = 100,
    seed: int = 0,
    chunk: int = 1 << 16,
    log=None,
):
    """Fit one INR to ``video`` f32[T, H, W, 3] in [-1, 1] with Adam on the MSE.

    Returns:
      (params, curve) where curve is a list of {"step", "psnr", "seconds"} (PSNR on the
      full grid, measured every ``eval_every`` steps and at the end).
    """
    spec = INRSpec() if spec is None else spec
    video = jnp.asarray(video, jnp.float32)
    t, h, w, _ = video.shape
    coords = jnp.asarray(make_grid(t, h, w))
    target = video.reshape(-1, 3)
    n = num_sampled(coords.shape[0], sample_frac)
    tx = optax.adam(lr)
    key = jax.random.key(seed)
    params = inr_init(key, spec)
    opt_state = tx.init(params)

    @jax.jit
    def step(params, opt_state, i):
        idx = sample_indices(jax.random.fold_in(key, i), coords.shape[0], n)

        def loss_fn(p):
            return jnp.mean(jnp.square(render_coords(p, coords[idx], spec) - target[idx]))

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    @jax.jit
    def full_psnr(params):
        pred = render_chunked(jax.tree.map(lambda a: a[None], params), coords, spec, chunk)[0]
        return mse_to_psnr(jnp.mean(jnp.square(pred - target)))

    curve, start = [], time.perf_counter()
    for i in range(steps):
        params, opt_state, _ = step(params, opt_state, i)
        if (i + 1) % eval_every == 0 or i + 1 == steps:
            psnr = float(full_psnr(params))
            curve.append({"step": i + 1, "psnr": psnr, "seconds": time.perf_counter() - start})
            if log:
                log(f"step {i + 1:6d}  psnr {psnr:6.2f} dB")
    return params, curve


def run(args) -> int:
    size = parse_ints(args.size, 2, "--size")
    source = open_source(args.video, frames=args.frames, size=size)
    if not 0 <= args.index < len(source):
        raise InputError(f"--index {args.index}: {args.video} has {len(source)} videos")
    video = to_unit_range(source.load(args.index))
    spec = INRSpec(kind=args.kind, hidden=args.hidden, depth=args.depth)
    params, curve = fit_single(
        video,
        spec,
        steps=args.steps,
        lr=args.lr,
        sample_frac=args.sample_frac,
        eval_every=args.eval_every,
        log=print,
    )
    if args.out:
        out = pathlib.Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "psnr.json").write_text(json.dumps(curve, indent=1))
        t, h, w, _ = video.shape
        coords = jnp.asarray(make_grid(t, h, w))
        pred = render_chunked(jax.tree.map(lambda a: a[None], params), coords, spec, 1 << 16)
        recon = np.asarray(pred[0]).reshape(t, h, w, 3)
        for suffix in (".npy", ".mp4", ".gif"):
            save_video(out / f"recon{suffix}", recon)
        print(f"wrote {out}/psnr.json and recon.(npy|mp4|gif)")
    print(f"final PSNR {curve[-1]['psnr']:.2f} dB after {curve[-1]['step']} steps")
    return 0
