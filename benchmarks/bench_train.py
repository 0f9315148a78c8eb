"""Train-step, render and memory benchmarks: inrv_jax next to the official PyTorch step, one run.

    python -m benchmarks.bench_train                      # everything -> docs/performance/bench_train.json
    python -m benchmarks.bench_train --skip-torch --skip-memory --shapes 16,32,32,2 --out ""

Sections (each prints one JSON line; a markdown table follows at the end):

* ``matmul``: the f32 matmul rate XLA reaches on this machine, measured in the same run
  (2048x2048 @ 2048x2048, best of N). This is the yardstick for "fraction of peak".
* ``train``: the train step at the official architecture (latent 128, per-tensor heads, INR
  63-256x4-3, per-pixel L1, Adam 1e-4, all pixels) for each (frames, height, width, batch):
  JAX (``inrv_jax.train.step.build_step``, exactly what the trainer runs:
  ``common.build_jax_step``) and the PyTorch
  official step (``benchmarks/torch_official.bench_train_step``; Adam "default" = what the
  official script gets on CPU, and "fused" = the strongest torch Adam). FLOPs are analytic
  (``train_step_flops``: matmuls only, forward + backward), the same count for both.
* ``render``: videos/s and peak RSS rendering 25x128x128 and 25x256x256 videos from a latent
  (``inrv_jax.rendering.render``, chunked), each in its own subprocess.
* ``train_memory``: peak RSS of a subprocess that trains 25x100x100, batch 2, all pixels:
  the official step (L1; the INR gradient is chunked) and the faithful recipe (L1 + 0.7 LPIPS)
  with ``train.remat`` on and off. XLA:CPU does not report memory through
  ``jax.Device.memory_stats``, so the child reads its own ``ru_maxrss``.

Wall times on a shared machine are inflated by other processes: every record carries
``os.getloadavg()`` and the process CPU seconds, and the step times are the best of N.
Inversion throughput lives in ``python -m benchmarks.inversion_throughput``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np

from benchmarks import common
from inrv_jax.runtime.host_malloc import retain_freed_memory

HOST_MALLOC_RETAINED = retain_freed_memory()  # only with INRV_HOST_MALLOC=retain, as `inrv`

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

MODULE = "benchmarks.bench_train"
SHAPES = [(16, 32, 32, 2), (25, 32, 32, 4), (25, 100, 100, 1)]
RENDER_SHAPES = [(25, 128, 128), (25, 256, 256)]


def _peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM: unlike ru_maxrss it is not inherited
    from the parent's image across fork + exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def matmul_rate(n: int = 2048, reps: int = 10) -> dict:
    """Best f32 GFLOP/s of one jitted n×n matmul (the machine's XLA matmul rate)."""
    a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
    b = jax.random.normal(jax.random.key(1), (n, n), jnp.float32)
    f = jax.jit(lambda a, b: a @ b)
    walls, cpus = common.time_calls(lambda: f(a, b).block_until_ready(), reps, warmup=2)
    flops = 2 * n**3
    return {
        "bench": "matmul",
        "n": n,
        "gflops_per_s": flops / min(walls) / 1e9,
        "gflops_per_cpu_s": flops / float(np.median(cpus)) / 1e9,
        "loadavg_1min": common.load_avg(),
    }


def bench_jax_step(frames, height, width, batch, steps=5, warmup=2, remat=False, chunk=1 << 14):
    """Time the JAX train step at the official architecture (all pixels, L1, Adam)."""
    from benchmarks.torch_official import OfficialConfig, train_step_flops

    settings = common.official_settings(batch, (frames, height, width), remat, chunk)
    step, state, data, coords, key = common.build_jax_step(settings, batch)
    holder = {"state": state}

    def run():
        holder["state"], metrics = step(holder["state"], data, coords, key)
        jax.block_until_ready(metrics)
        return metrics

    c0 = time.perf_counter()
    run()
    compile_s = time.perf_counter() - c0
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    walls, cpus = common.time_calls(run, steps, warmup)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    calls = steps + warmup
    n = frames * height * width
    flops = train_step_flops(OfficialConfig(latent_dim=128, num_videos=batch), batch, n)
    best, med = min(walls), float(np.median(walls))
    cache = getattr(step, "_cache_size", lambda: None)()
    return {
        "bench": "train",
        "impl": "jax",
        "frames": frames, "height": height, "width": width, "batch": batch,
        "pixels_per_step": batch * n,
        "remat": remat,
        "compile_s": compile_s,
        "seconds_per_step": med,
        "seconds_per_step_min": best,
        "cpu_seconds_per_step": float(np.median(cpus)),
        "pixels_per_s": batch * n / med,
        "pixels_per_s_best": batch * n / best,
        "flops_per_step": flops,
        "gflops_per_s_best": flops / best / 1e9,
        "gflops_per_cpu_s": flops / float(np.median(cpus)) / 1e9,
        "compiled_versions": cache,
        # Kernel work per step: page faults and system CPU seconds (see inrv_jax/runtime/host_malloc.py).
        "page_faults_per_step": (r1.ru_minflt - r0.ru_minflt) / calls,
        "sys_cpu_seconds_per_step": (r1.ru_stime - r0.ru_stime) / calls,
        "host_malloc": "retain" if HOST_MALLOC_RETAINED else "glibc default",
        "loadavg_1min": common.load_avg(),
    }  # fmt: skip


def bench_torch_step(frames, height, width, batch, steps=5, warmup=2, adam="default"):
    from benchmarks.torch_official import bench_train_step

    r = bench_train_step(frames, height, width, batch, steps, warmup, threads=2, adam=adam)
    r = {"bench": "train", "impl": f"torch-{adam}", **r}
    r["gflops_per_s_best"] = r["flops_per_step"] / r["seconds_per_step_min"] / 1e9
    r["gflops_per_cpu_s"] = r["flops_per_step"] / r["cpu_seconds_per_step"] / 1e9
    return r


# ------------------------------------------------------------------------------------------
# Subprocess children (peak memory must be measured per process).


def child_render(frames, height, width, batch, reps, chunk) -> dict:
    from inrv_jax import settings as settings_lib
    from inrv_jax.model import make_model
    from inrv_jax.rendering import FromLatents, RenderSettings, render

    model = make_model(settings_lib.replace(settings_lib.ModelSettings(), {"latent_dim": "128"}), 1)
    params = model.init(jax.random.key(0))
    z = 0.01 * jax.random.normal(jax.random.key(1), (batch, 128))
    rss_before = _peak_rss_mb()

    def run():
        source = FromLatents(model, params, z)
        return render(source, (frames, height, width), RenderSettings(chunk=chunk, batch=batch))

    c0 = time.perf_counter()
    run()
    compile_s = time.perf_counter() - c0
    walls, cpus = common.time_calls(run, reps, warmup=0)
    best = min(walls)
    return {
        "bench": "render",
        "frames": frames, "height": height, "width": width, "batch": batch, "chunk": chunk,
        "first_call_s": compile_s,
        "seconds_per_call_min": best,
        "cpu_seconds_per_call": float(np.median(cpus)),
        "videos_per_s": batch / best,
        "pixels_per_s": batch * frames * height * width / best,
        "peak_rss_mb": _peak_rss_mb(),
        "rss_after_setup_mb": rss_before,
        "loadavg_1min": common.load_avg(),
    }  # fmt: skip


def child_train_memory(frames, height, width, batch, steps, remat, chunk, lpips=False) -> dict:
    changes, lp = {}, None
    if lpips:  # the faithful recipe: L1 + 0.7 LPIPS(VGG16) per frame
        from inrv_jax.metrics.lpips import load_lpips

        changes["loss.lpips_weight"] = 0.7
        lp = load_lpips("vgg16")
    settings = common.official_settings(batch, (frames, height, width), remat, chunk,
                                        changes=changes)  # fmt: skip
    step, state, data, coords, key = common.build_jax_step(settings, batch, lp)
    rss_setup = _peak_rss_mb()
    walls = []
    for _ in range(steps):
        w0 = time.perf_counter()
        state, metrics = step(state, data, coords, key)
        jax.block_until_ready(metrics)
        walls.append(time.perf_counter() - w0)
    return {
        "bench": "train_memory",
        "frames": frames, "height": height, "width": width, "batch": batch,
        "loss_terms": "l1+0.7*lpips" if lpips else "l1",
        "remat": remat if lpips else "n/a (chunked INR gradient)",
        "chunk": chunk if remat and lpips else None,
        "peak_rss_mb": _peak_rss_mb(),
        "rss_after_setup_mb": rss_setup,
        "seconds_per_step_min": min(walls[1:] or walls),
        "first_step_s": walls[0],
        "loss": float(metrics["train/loss"]),
        "loadavg_1min": common.load_avg(),
    }  # fmt: skip


def child_record(args: list[str], timeout: float = 900) -> dict:
    """Run this benchmark as a child with ``--child ARGS`` (``common.run_child``) and return
    its last JSON line, or an error record."""
    child = common.run_child(MODULE, args, timeout)
    lines = [ln for ln in child.stdout.splitlines() if ln.startswith("{")]
    if child.returncode != 0 or not lines:
        return {"bench": "child", "args": args, "error": child.stderr[-2000:],
                "returncode": child.returncode}  # fmt: skip
    return json.loads(lines[-1])


# ------------------------------------------------------------------------------------------


def _shape(r: dict) -> str:
    return f"{r['frames']}×{r['height']}×{r['width']}×{r['batch']}"


def _table(results: list[dict]) -> str:
    """The run's markdown: the matmul rate, every train step against it, JAX / torch ratios,
    render and train-memory children."""
    row = common.md_row
    mm = next((r for r in results if r["bench"] == "matmul"), None)
    rate = mm["gflops_per_s"] if mm else float("nan")
    rate_cpu = mm["gflops_per_cpu_s"] if mm else float("nan")
    out = []
    if mm:
        out.append(
            f"XLA f32 matmul {mm['n']}²: {rate:.0f} GFLOP/s wall, {rate_cpu:.0f} GFLOP per "
            f"CPU-second (load {mm['loadavg_1min']})\n"
        )
    out.append(row(["shape T×H×W×B", "impl", "s/step (best)", "CPU s/step", "Mpix/s (best)",
                    "GFLOP/s", "% matmul (wall)", "% matmul (CPU-s)", "load"]))  # fmt: skip
    out.append(common.md_rule("l" * 9))
    train = [r for r in results if r["bench"] == "train"]
    for r in train:
        out.append(row([
            _shape(r), r["impl"], f"{r['seconds_per_step_min']:.3f}",
            f"{r['cpu_seconds_per_step']:.3f}", f"{r['pixels_per_s_best'] / 1e6:.3f}",
            f"{r['gflops_per_s_best']:.1f}", f"{100 * r['gflops_per_s_best'] / rate:.0f}%",
            f"{100 * r['gflops_per_cpu_s'] / rate_cpu:.0f}%", r["loadavg_1min"],
        ]))  # fmt: skip
    jax_rows = {_shape(r): r for r in train if r["impl"] == "jax"}
    ratios = [
        row([_shape(r), f"jax / {r['impl']}",
             f"{jax_rows[_shape(r)]['pixels_per_s_best'] / r['pixels_per_s_best']:.2f}×",
             f"{r['cpu_seconds_per_step'] / jax_rows[_shape(r)]['cpu_seconds_per_step']:.2f}×"])
        for r in train
        if r["impl"].startswith("torch") and _shape(r) in jax_rows
    ]  # fmt: skip
    if ratios:
        out += ["", row(["shape", "ratio", "pixels/s (best wall)", "CPU-s per step"]),
                common.md_rule("llll"), *ratios]  # fmt: skip
    rend = [r for r in results if r["bench"] in ("render", "train_memory")]
    if rend:
        out += ["", row(["what", "shape", "s (best)", "videos/s", "peak RSS MB", "load"]),
                common.md_rule("llllll")]  # fmt: skip
        for r in rend:
            if r["bench"] == "render":
                cells = ["render", _shape(r), f"{r['seconds_per_call_min']:.2f}",
                         f"{r['videos_per_s']:.2f}"]  # fmt: skip
            else:
                what = f"train step, {r['loss_terms']}" + (
                    f", remat chunk {r['chunk']}" if r["chunk"] else ""
                )
                cells = [what, _shape(r), f"{r['seconds_per_step_min']:.2f}", "–"]
            out.append(row([*cells, f"{r['peak_rss_mb']:.0f}", r["loadavg_1min"]]))
    for r in results:
        if "error" in r:
            out.append(f"\nchild {r['args']} failed ({r['returncode']}): {r['error'][-400:]}")
    return "\n".join(out)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=[",".join(map(str, s)) for s in SHAPES],
                        help="T,H,W,B train-step shapes (default: %(default)s)")  # fmt: skip
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--adam", nargs="+", default=["default", "fused"])
    parser.add_argument("--skip-torch", action="store_true")
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--skip-render", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--render-batch", type=int, default=1)
    parser.add_argument("--render-chunk", type=int, default=1 << 14)
    parser.add_argument("--remat-chunk", type=int, default=1 << 14)
    parser.add_argument("--out", default="docs/performance",
                        help="folder of the record bench_train.json ('' = none)")  # fmt: skip
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        kind, *rest = args.child
        vals = [int(x) for x in rest]
        if kind == "render":
            rec = child_render(*vals)
        elif kind == "train_memory":
            t, h, w, b, steps, remat, chunk, lpips = vals
            rec = child_train_memory(t, h, w, b, steps, bool(remat), chunk, bool(lpips))
        else:
            raise SystemExit(f"unknown child {kind}")
        print(json.dumps(rec), flush=True)
        return [rec]

    header = common.record_header(MODULE, argv)  # the machine's load before the run
    results = []

    def emit(rec):
        results.append(rec)
        print(json.dumps(rec), flush=True)

    emit(matmul_rate())
    if not args.skip_train:
        for s in args.shapes:
            t, h, w, b = (int(x) for x in s.split(","))
            emit(bench_jax_step(t, h, w, b, args.steps, args.warmup))
            if not args.skip_torch:
                for adam in args.adam:
                    emit(bench_torch_step(t, h, w, b, args.steps, args.warmup, adam))
    if not args.skip_render:
        for t, h, w in RENDER_SHAPES:
            emit(child_record(["render", str(t), str(h), str(w), str(args.render_batch), "3",
                            str(args.render_chunk)]))  # fmt: skip
    if not args.skip_memory:
        # L1 only (the official step without LPIPS: chunked INR gradient), then the faithful
        # recipe with LPIPS, its INR pass rematerialised in chunks and (the default) not.
        for lpips, remat in ((0, 1), (1, 1), (1, 0)):
            args_ = ["train_memory", "25", "100", "100", "2", "2", str(remat)]
            emit(child_record([*args_, str(args.remat_chunk), str(lpips)]))
    emit(matmul_rate())  # again: the load may have changed during the run
    print()
    print(_table(results))
    protocol = {k: v for k, v in vars(args).items() if k not in ("out", "child")}
    protocol["host_malloc_retained"] = HOST_MALLOC_RETAINED
    common.write_record(
        args.out, "bench_train", {**header, "protocol": protocol, "records": results}
    )
    return results


def markdown(record: dict) -> str:
    """The page of a ``bench_train.json`` record (``benchmarks.report``): its tables."""
    p = record["protocol"]
    intro = (
        f"Official architecture (latent 128, per-tensor heads, INR 63→256×4→3), per-pixel L1, "
        f"Adam 1e-4, all pixels; {p['steps']} timed steps after {p['warmup']} warm-up ones, best "
        'wall time; the same analytic FLOPs for JAX and PyTorch (matmuls only); "% matmul" is '
        "of the XLA f32 matmul rate measured in the same run (first line), not a datasheet peak. "
        "Load = 1-minute load average (the benchmark itself is ~2 of it). Render and train-memory "
        "rows: one child process each, peak RSS of that process."
    )
    return f"{intro}\n\n{_table(record['records'])}\n"


if __name__ == "__main__":
    main()
