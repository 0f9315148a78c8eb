"""Throughput of the metric and frozen-network layer on the current JAX backend.

    python -m benchmarks.metrics_throughput [--fvd-clips 2]

Prints seconds per call (best of a few, after compilation) for: PSNR / SSIM on a batch of videos,
LPIPS(VGG16) forward and forward+backward (the training loss), the VGG16 frame encoder, and I3D
embedding (FVD).
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from inrv_jax.frame_encoders import make_frame_encoder
from inrv_jax.metrics import fvd
from inrv_jax.metrics.image import psnr, ssim
from inrv_jax.metrics.lpips import load_lpips, lpips_video


def _best_time(fn, *args, repeats: int = 3) -> float:
    jax.block_until_ready(fn(*args))  # compile
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        best = min(best, time.perf_counter() - start)
    return best


def _videos(shape, seed=0):
    return jnp.asarray(np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fvd-clips", type=int, default=2, help="clips per I3D call")
    parser.add_argument("--batch", type=int, default=2, help="videos per LPIPS / encoder call")
    args = parser.parse_args()
    print(f"backend: {jax.default_backend()}, devices: {jax.devices()}")

    lp = load_lpips("vgg16")
    enc = make_frame_encoder("vgg16")
    loss = jax.jit(lambda p, x, y: jnp.mean(lpips_video(lp, x, y, params=p)))
    grad = jax.jit(jax.grad(lambda x, p, y: jnp.mean(lpips_video(lp, x, y, params=p))))
    encode = jax.jit(enc.apply)
    for size in (32, 100):
        x = _videos((args.batch, 25, size, size, 3), 0)
        y = _videos((args.batch, 25, size, size, 3), 1)
        frames = args.batch * 25
        print(f"[{args.batch} videos x 25 frames x {size}x{size}]")
        print(f"  psnr            {_best_time(jax.jit(psnr), x, y):8.4f} s")
        print(f"  ssim            {_best_time(jax.jit(ssim), x, y):8.4f} s")
        t = _best_time(loss, lp.params, x, y)
        print(f"  lpips fwd       {t:8.4f} s  ({1e3 * t / frames:.1f} ms/frame)")
        t = _best_time(grad, x, lp.params, y)
        print(f"  lpips fwd+bwd   {t:8.4f} s  ({1e3 * t / frames:.1f} ms/frame)")
        t = _best_time(encode, enc.params, x.reshape(frames, size, size, 3))
        print(f"  vgg16 encoder   {t:8.4f} s  ({1e3 * t / frames:.1f} ms/frame)")

    i3d = fvd.load_i3d()
    clips = np.asarray(_videos((args.fvd_clips, 16, 128, 128, 3)))
    t = _best_time(lambda c: fvd.i3d_embed(i3d, c), clips, repeats=2)
    print(
        f"[I3D, {args.fvd_clips} clips of 16x128x128] {t:.3f} s ({t / args.fvd_clips:.3f} s/clip)"
    )


if __name__ == "__main__":
    main()
