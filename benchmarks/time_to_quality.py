"""Time to quality on ``sample_clips``: the official recipe in PyTorch vs this project's fast recipe.

    python -m benchmarks.time_to_quality                 # ~6-9 min on 2 CPU cores
    python -m benchmarks.time_to_quality --videos 8 --torch-seconds 180 --jax-seconds 120

1. The official recipe (``torch_official.train_to_psnr``: official architecture at latent 64,
   per-pixel L1 on all pixels, Adam 1e-4, batch 2) trains for ``--torch-seconds`` of training
   time. The PSNR it reaches is the target; its time is when it first reached it.
2. This project's fast recipe (``configs/sample_clips.py``: INR and heads 128 wide, L2 on a
   random half of the pixels, Adam 1e-3 with warmup + cosine, batch 8) trains on the same
   clips until mean reconstruction PSNR reaches that target.

Both evaluate every video (render from its learned latent, clip to [-1, 1], mean per-video PSNR)
and exclude evaluation from the training time. Torch uses its fused Adam by default (the
same maths as the official per-tensor loop, faster: the stronger opponent). The JAX time is reported without and with the
one-off XLA compile. Prints JSON records, then a short table; every record has the load average.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

from benchmarks import common
from inrv_jax.runtime.host_malloc import retain_freed_memory

retain_freed_memory()  # only with INRV_HOST_MALLOC=retain, as the `inrv` CLI

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

MODULE = "benchmarks.time_to_quality"


def load_clips(num_videos: int, frames: int, size: int) -> np.ndarray:
    """sample_clips videos as f32[N, T, H, W, 3] in [-1, 1]."""
    from inrv_jax.data import open_source
    from inrv_jax.pixels import to_unit_range

    src = open_source("sample_clips", frames=frames, size=(size, size), num_videos=num_videos)
    return np.stack([to_unit_range(src.load(i)) for i in range(len(src))])


def psnr(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean per-video PSNR in [-1, 1] (peak-to-peak 2), prediction clipped first."""
    mse = np.mean((np.clip(pred, -1, 1) - target) ** 2, axis=tuple(range(1, target.ndim)))
    return float(np.mean(10.0 * np.log10(4.0 / np.maximum(mse, 1e-12))))


def fast_settings(videos: np.ndarray, max_steps: int):
    """configs/sample_clips.py sized to the given clips (the fast recipe, unchanged otherwise),
    as the library's ``Settings`` (the encoding's training grid is the clips' size)."""
    from inrv_jax.config import load_config, to_settings

    c = load_config(str(common.ROOT / "configs" / "sample_clips.py"))
    n, t, h, w, _ = videos.shape
    c.data.num_videos, c.data.frames, c.data.size = n, t, (h, w)
    c.train.batch_size = min(int(c.train.batch_size), n)
    c.train.steps = max_steps
    c.mesh.data, c.mesh.model = 1, 1
    return to_settings(c)  # resolves model.inr.grid from the clips' size set here


def jax_train_to_psnr(videos, settings, target_psnr, max_seconds, eval_every, seed=0) -> dict:
    """Train ``settings`` on ``videos`` until mean PSNR >= target (evaluation time excluded)."""
    from inrv_jax.coords import make_grid
    from inrv_jax.sharding import global_batch
    from inrv_jax.train.step import learned_latents

    n, t, h, w, _ = videos.shape
    b = int(settings.train.batch_size)
    model, step, state, mesh = common.train_step_parts(settings, n, seed=seed)
    coords = jnp.asarray(make_grid(t, h, w))
    key = jax.random.key(seed + 1)
    rng = np.random.default_rng(seed)
    render = jax.jit(lambda p, z: model.render(p, z, coords))

    def evaluate(params) -> float:
        z = learned_latents(model, params)
        return psnr(np.asarray(render(params, z)).reshape(videos.shape), videos)

    def batch_of(ids):
        return global_batch({"index": ids.astype(np.int32), "video": videos[ids]}, mesh)

    # Compile outside the clock (reported separately), on a throwaway copy of the state.
    c0 = time.perf_counter()
    lowered = step.lower(state, batch_of(np.arange(b)), coords, key)
    step_c = lowered.compile()
    compile_s = time.perf_counter() - c0

    curve, seconds, steps, order = [(0.0, 0, evaluate(state.params))], 0.0, 0, []
    reached = curve[0][2] >= target_psnr
    while not reached and seconds < max_seconds and steps < int(settings.train.steps):
        if len(order) < b:
            order += rng.permutation(n).tolist()
        ids, order = np.asarray(order[:b]), order[b:]
        data = batch_of(ids)
        w0 = time.perf_counter()
        state, metrics = step_c(state, data, coords, key)
        jax.block_until_ready(metrics)
        seconds += time.perf_counter() - w0
        steps += 1
        if steps % eval_every == 0:
            curve.append((seconds, steps, evaluate(state.params)))
            reached = curve[-1][2] >= target_psnr
    return {**common.first_reach(curve, target_psnr), "compile_s": compile_s}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--torch-seconds", type=float, default=180.0)
    parser.add_argument("--jax-seconds", type=float, default=150.0)
    parser.add_argument("--jax-eval-every", type=int, default=10)
    parser.add_argument("--target", type=float, default=None,
                        help="fixed PSNR target (default: what the official recipe reaches)")  # fmt: skip
    parser.add_argument("--torch-adam", default="fused", choices=("default", "foreach", "fused"),
                        help="torch Adam kernel; 'fused' is the faster (stronger) opponent")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="docs/performance",
                        help="folder of the record time_to_quality.json ('' = none)")  # fmt: skip
    args = parser.parse_args(argv)

    from benchmarks.torch_official import train_to_psnr

    header = common.record_header(MODULE, argv)
    videos = load_clips(args.videos, args.frames, args.size)
    records = {"clips": list(videos.shape), "loadavg_start": common.load_avg()}
    print(json.dumps(records), flush=True)

    target = args.target if args.target is not None else float("inf")
    off = train_to_psnr(videos, target, args.torch_seconds, batch=2, lr=1e-4, seed=args.seed,
                        threads=2, adam=args.torch_adam)  # fmt: skip
    off.pop("model")
    if args.target is None:  # the best PSNR it reached after training began, and when
        target = max(c[2] for c in off["curve"][1:] or off["curve"])
        first = next(c for c in off["curve"][1:] if c[2] >= target)
        off.update(reached=True, seconds=first[0], steps=first[1])
    off.update(impl="torch-official", target_psnr=target, loadavg_1min=common.load_avg())
    print(json.dumps(off), flush=True)

    settings = fast_settings(videos, max_steps=100_000)
    fast = jax_train_to_psnr(videos, settings, target, args.jax_seconds, args.jax_eval_every,
                             args.seed)  # fmt: skip
    fast.update(impl="jax-fast (configs/sample_clips.py)", target_psnr=target,
                loadavg_1min=common.load_avg())  # fmt: skip
    print(json.dumps(fast), flush=True)

    speedup = None
    if fast["reached"] and off["seconds"]:
        speedup = off["seconds"] / max(fast["seconds"], 1e-9)
    summary = {
        "target_psnr": target,
        "torch_seconds": off["seconds"],
        "torch_steps": off["steps"],
        "jax_seconds": fast["seconds"],
        "jax_steps": fast["steps"],
        "jax_compile_s": fast["compile_s"],
        "speedup": speedup,
        "speedup_incl_compile": (
            off["seconds"] / (fast["seconds"] + fast["compile_s"]) if speedup else None
        ),
        "loadavg_end": common.load_avg(),
    }
    print(json.dumps(summary), flush=True)
    protocol = {k: v for k, v in vars(args).items() if k != "out"}
    record = {**header, "protocol": protocol, "clips": records["clips"],
              "loadavg_start": records["loadavg_start"], "official": off, "fast": fast,
              "summary": summary}  # fmt: skip
    print()
    print(markdown(record))
    common.write_record(args.out, "time_to_quality", record)
    if not math.isfinite(target):
        raise SystemExit("the official recipe produced no finite PSNR")
    return summary


def markdown(record: dict) -> str:
    """The table of a ``time_to_quality.json`` record (``benchmarks.report`` renders its page)."""
    off, fast, summary = record["official"], record["fast"], record["summary"]
    target = summary["target_psnr"]
    p = record["protocol"]
    lines = [
        f"{p['videos']} `sample_clips` videos {p['frames']}×{p['size']}×{p['size']}; target = the "
        f"best PSNR the official recipe reached in {p['torch_seconds']:.0f} s of training (torch "
        f"Adam `{p['torch_adam']}`, 2 threads); the fast recipe trains for at most "
        f"{p['jax_seconds']:.0f} s, evaluated every {p['jax_eval_every']} steps; evaluation "
        "excluded from both times; seed " + str(p["seed"]) + ".",
        "",
        common.md_row(["recipe", "target PSNR", "train s to target", "steps", "compile s", "load"]),
        common.md_rule("lrrrrr"),
        common.md_row(["official (PyTorch, L1, Adam 1e-4, all pixels, b2)", f"{target:.2f}",
                       f"{off['seconds']:.1f}", off["steps"], "–", off["loadavg_1min"]]),
        common.md_row(["fast (JAX, configs/sample_clips.py)", f"{target:.2f}",
                       "not reached" if fast["seconds"] is None else f"{fast['seconds']:.1f}",
                       fast["steps"], f"{fast['compile_s']:.1f}", fast["loadavg_1min"]]),
    ]  # fmt: skip
    if summary["speedup"]:
        lines += ["", f"Speed-up: {summary['speedup']:.1f}× "
                  f"({summary['speedup_incl_compile']:.1f}× with the compile)."]  # fmt: skip
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
