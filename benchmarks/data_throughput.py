"""Loader throughput: clips/s decoded from mp4, read from the disk cache, and served from memory.

    python -m benchmarks.data_throughput [--videos 16 --frames 25 --size 100 --batch 8]

Writes synthetic mp4s (libx264, --src-size square) into a temporary folder, then times:
  decode_mp4   open_source on the folder: PyAV decode + crop + antialiased resize, per clip;
  disk_cache   open_source again with the same cache_dir: .npy reads only;
  memory_loader  make_loader batches (shuffle, float32 [-1, 1] conversion, batching) from the
                 in-memory cache, with prefetch threads;
  shapes_render  building the default built-in dataset (8 videos x 8 frames x 32x32).
Prints one JSON object, then a short table. Compare memory_loader with the train step's clips/s.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import av
import numpy as np

from inrv_jax.data import make_loader, open_source


def _write_mp4(path: str, frames: int, side: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side]
    phase = rng.uniform(0, 6.28, 3)
    with av.open(path, "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "23"}
        for f in range(frames):
            img = np.stack(
                [127 + 120 * np.sin(0.05 * (xx + 3 * f) + 0.03 * yy + p) for p in phase], -1
            ).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _rate(count: int, seconds: float) -> float:
    return count / max(seconds, 1e-9)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=16)
    parser.add_argument("--frames", type=int, default=25)
    parser.add_argument("--size", type=int, default=100, help="training frame side")
    parser.add_argument("--src-size", type=int, default=256, help="mp4 frame side")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--prefetch", type=int, default=2)
    args = parser.parse_args(argv)
    size = (args.size, args.size)
    results: dict = {"config": vars(args)}
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "videos")
        os.makedirs(folder)
        for i in range(args.videos):
            _write_mp4(os.path.join(folder, f"v{i:03d}.mp4"), args.frames, args.src_size, i)
        cache_dir = os.path.join(tmp, "cache")

        t = time.perf_counter()
        source = open_source(folder, frames=args.frames, size=size, cache_dir=cache_dir)
        results["decode_mp4_clips_per_s"] = _rate(len(source), time.perf_counter() - t)

        t = time.perf_counter()
        cached = open_source(folder, frames=args.frames, size=size, cache_dir=cache_dir)
        results["disk_cache_clips_per_s"] = _rate(len(cached), time.perf_counter() - t)
        assert cached.cache.hits["disk"] == len(cached)

        loader = make_loader(source, args.batch, seed=0, prefetch=args.prefetch)
        it = iter(loader)
        next(it)  # start the threads
        t = time.perf_counter()
        for _ in range(args.steps):
            batch = next(it)
        seconds = time.perf_counter() - t
        results["memory_loader_clips_per_s"] = _rate(args.steps * args.batch, seconds)
        results["memory_loader_batches_per_s"] = _rate(args.steps, seconds)
        results["batch_shape"] = list(batch["video"].shape)

    t = time.perf_counter()
    shapes = open_source("shapes", frames=8, size=(32, 32))
    results["shapes_render_clips_per_s"] = _rate(len(shapes), time.perf_counter() - t)
    print(json.dumps(results, indent=1))
    print()
    print(f"{'path':<16}{'clips/s':>12}   ({args.frames} frames, {args.size}x{args.size})")
    for name in ("decode_mp4", "disk_cache", "memory_loader", "shapes_render"):
        print(f"{name:<16}{results[name + '_clips_per_s']:>12.1f}")
    return results


if __name__ == "__main__":
    main()
