"""GPU suite: train-step MFU (f32/bf16), batch inversion scaling and render throughput, with
the official PyTorch step measured in the same run on the same card.

    python -m benchmarks.gpu_suite --out gpu_out            # ~4 min on one H100
    python -m benchmarks.gpu_suite --quick --out /tmp/gq    # tiny sizes: a rehearsal on the CPU
    # README's second run (train table next to PyTorch, bf16 inversion, two XLA-flag variants):
    python -m benchmarks.gpu_suite --out gpu_out --chunk-rows 524288 \
        --sections matmul,train,profile,inversion,render --inv-dtypes float32,bfloat16 \
        --inv-batches 1,64 --inv-all-pixel-batches "" --torch-budget 140 \
        --variant "cublas=--xla_gpu_enable_triton_gemm=false" \
        --variant "cublaslt=--xla_gpu_enable_triton_gemm=false --xla_gpu_enable_cublaslt=true"

Writes ``OUT/gpu_suite.json`` (command, commit, date, machine, protocol and every child's
measurements under ``records``) and ``OUT/gpu_suite.md`` (the tables), the
profiler trace of the bf16 train step (``OUT/trace_bf16.json.gz``), and per child its records
as they come (``OUT/logs/*.jsonl``, kept if the suite is killed) and its stderr. The children
run one after the other so that none competes for the card: ``jax``, ``torch``, then one
``jax`` per ``--variant`` (JAX preallocates most of the GPU's memory, so PyTorch cannot share
its process; the parent never starts jax: its machine record comes from the children's). Step times are for steps dispatched back to back with one sync at the end, as a
training loop runs (``s_per_step_synced`` syncs after every step).

JAX child (the official architecture: latent 128, per-tensor heads, INR 63-256x4-3, per-pixel
L1, Adam 1e-4, all pixels, exactly the trainer's ``inrv_jax.train.step.build_step``):

* ``matmul``: the card's bf16 and float32 (default precision) matmul rate, n x n, best of 10:
  the yardstick of MFU, measured in this run (not the datasheet).
* ``sweep``: the bf16 step at one batch for several ``train.chunk_rows`` (rows per chunk of
  the chunked INR gradient; 2,048 is the CPU default). The fastest is used for the table.
* ``train``: f32 and bf16 at each batch: s/step (median), pixels/s, TFLOP/s from the analytic
  FLOP count (``torch_official.train_step_flops``: matmuls, forward + backward), MFU against
  the matmul rate of the same dtype, compile time, XLA's memory analysis of the step
  (arguments + outputs - donated + temporaries) and the device's peak bytes so far.
* ``profile``: ``jax.profiler`` trace of 3 bf16 steps; device time per op, the top ops.
* ``inversion``: videos/s of ``tasks.inversion.invert`` at each batch (official-size model,
  T x H x W clips, ``--inv-steps`` Adam steps, ``--inv-pixels`` random pixels per step; and
  all pixels at the small batches), and the speed-up over batch 1.
* ``render``: videos/s of ``inrv_jax.rendering.render`` at each shape and batch, with the
  backend's default chunk rows and with the CPU's 2,048 (the setting before this suite).

torch child: the official step (``benchmarks.torch_official``: same architecture, L1, Adam
with PyTorch's default implementation on CUDA) eager and ``torch.compile``d, TF32 matmuls for
"float32" (as JAX's default precision) and bf16 autocast; peak memory from
``torch.cuda.max_memory_allocated``; out-of-memory is a recorded result, not a crash. Official
rendering (the whole video at once, ``no_grad``) at the same shapes.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import gzip
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections import defaultdict

from benchmarks import common

MODULE = "benchmarks.gpu_suite"
FULL = dict(
    video=(25, 100, 100), batches=(2, 8, 32), sweep_batch=8,
    sweep_rows=(2048, 1 << 16, 1 << 19, 1 << 21), matmul_n=8192, steps=10, warmup=3,
    inv_batches=(1, 8, 64, 256), inv_all_pixel_batches=(1, 8), inv_steps=20, inv_pixels=4096,
    render_shapes=((25, 128, 128), (25, 256, 256)), render_batches=(1, 16),
    torch_compile_batches=(8, 32, 2), torch_compile_f32_batches=(8,),
)  # fmt: skip
QUICK = dict(
    video=(4, 16, 16), batches=(1, 2), sweep_batch=2, sweep_rows=(256, 1 << 12),
    matmul_n=512, steps=3, warmup=1, inv_batches=(1, 4), inv_all_pixel_batches=(1,),
    inv_steps=5, inv_pixels=256, render_shapes=((4, 32, 32),), render_batches=(1, 2),
    torch_compile_batches=(2,), torch_compile_f32_batches=(),
)  # fmt: skip


# The raw profile (xplane + perfetto) stays out of OUT; the perfetto trace is copied there.
PROFILE_DIR = os.path.join(tempfile.gettempdir(), "inrv_gpu_suite_profile")


def _emit(rec: dict) -> None:
    line = json.dumps(rec)
    print("@@" + line, flush=True)
    if os.environ.get("GPU_SUITE_JSONL"):  # survives a kill of the whole suite
        with open(os.environ["GPU_SUITE_JSONL"], "a") as f:
            f.write(line + "\n")


def _guard(section: str, fn, *args, meta=None, **kw):
    """Run one measurement; an exception (out of memory included) becomes a record that
    carries ``meta`` (impl, dtype, batch, ...) so the tables can place it."""
    try:
        return fn(*args, **kw)
    except Exception as e:  # noqa: BLE001 - every failure is a result to report
        msg = " ".join(f"{type(e).__name__}: {e}".split())
        oom = "RESOURCE_EXHAUSTED" in msg or "out of memory" in msg.lower()
        _emit({"bench": section, **(meta or {}), "error": msg[:600], "oom": oom})
        traceback.print_exc()
        return None


# ------------------------------------------------------------------------------------------
# JAX child.


def _jax_env() -> dict:
    import jax
    import jaxlib

    dev = jax.devices()[0]
    return {
        "bench": "env", "impl": "jax", "jax": jax.__version__, "jaxlib": jaxlib.__version__,
        "backend": jax.default_backend(), "device": getattr(dev, "device_kind", str(dev)),
        "platform_version": getattr(getattr(dev, "client", None), "platform_version", None),
        "num_devices": len(jax.devices()),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }  # fmt: skip


def _time(fn, steps: int, warmup: int) -> list[float]:
    """Wall seconds of ``steps`` calls of ``fn()`` (which blocks until the device is done)
    after ``warmup`` calls (``common.time_calls``)."""
    return common.time_calls(fn, steps, warmup)[0]


def _time_async(step, sync, steps: int, reps: int = 3) -> float:
    """Seconds per step of ``steps`` steps dispatched back to back with one sync at the end
    (as a training loop runs; per-step syncs add a host round trip), best of ``reps``."""
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        best = min(best, (time.perf_counter() - t0) / steps)
    return best


def _median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def jax_matmul(n: int, dtype: str) -> dict:
    import jax
    import jax.numpy as jnp

    a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32).astype(dtype)
    b = jax.random.normal(jax.random.key(1), (n, n), jnp.float32).astype(dtype)
    f = jax.jit(lambda a, b: a @ b)
    walls = _time(lambda: f(a, b).block_until_ready(), 10, 3)
    return {
        "bench": "matmul", "dtype": dtype, "n": n,
        "precision": str(getattr(jax.config, "jax_default_matmul_precision", None)),
        "tflops_best": 2 * n**3 / min(walls) / 1e12, "tflops_median": 2 * n**3 / _median(walls) / 1e12,
    }  # fmt: skip


def _memory_analysis(compiled) -> dict:
    try:
        m = compiled.memory_analysis()
        peak = (m.argument_size_in_bytes + m.output_size_in_bytes - m.alias_size_in_bytes
                + m.temp_size_in_bytes)  # fmt: skip
        return {"xla_peak_gb": peak / 1e9, "xla_temp_gb": m.temp_size_in_bytes / 1e9}
    except Exception as e:  # noqa: BLE001 - not every backend reports it
        return {"xla_memory_analysis": f"unavailable: {e}"}


def _device_peak_gb():
    import jax

    stats = jax.devices()[0].memory_stats() or {}
    peak = stats.get("peak_bytes_in_use")
    return None if peak is None else peak / 1e9


def jax_train(sz, dtype: str, batch: int, rows: int, section="train", profile_dir=None) -> dict:
    import jax

    from benchmarks.torch_official import OfficialConfig, train_step_flops

    t, h, w = sz["video"]
    settings = common.official_settings(
        batch, (t, h, w), changes={"model.compute_dtype": dtype, "train.chunk_rows": rows}
    )
    step, state, data, coords, key = common.build_jax_step(settings, batch)
    c0 = time.perf_counter()
    compiled = step.lower(state, data, coords, key).compile()
    compile_s = time.perf_counter() - c0
    holder = {"state": state, "metrics": None}
    losses = []

    def step_only():
        holder["state"], holder["metrics"] = compiled(holder["state"], data, coords, key)

    def sync():
        jax.block_until_ready((holder["state"], holder["metrics"]))
        losses.append(float(holder["metrics"]["train/loss"]))

    def run():
        step_only()
        sync()

    walls = _time(run, sz["steps"], sz["warmup"])  # each step synced
    per_step = _time_async(step_only, sync, sz["steps"])
    if profile_dir:
        with jax.profiler.trace(profile_dir, create_perfetto_trace=True):
            for _ in range(3):
                step_only()
            sync()
    n = t * h * w
    flops = train_step_flops(OfficialConfig(latent_dim=128, num_videos=batch), batch, n)
    return {
        "bench": section, "impl": os.environ.get("GPU_SUITE_LABEL", "jax"), "dtype": dtype,
        "batch": batch, "video": [t, h, w], "chunk_rows": rows, "compile_s": compile_s,
        "s_per_step": per_step, "s_per_step_synced": _median(walls),
        "pixels_per_s": batch * n / per_step,
        "flops_per_step": flops, "tflops": flops / per_step / 1e12,
        "loss_first": losses[0], "loss_last": losses[-1],
        "device_peak_gb_so_far": _device_peak_gb(), **_memory_analysis(compiled),
    }  # fmt: skip


def summarize_trace(profile_dir: str, top: int = 15) -> dict:
    """Device time per op name from a ``jax.profiler`` perfetto trace.

    Events are complete events (``ph == "X"``, ``dur`` in us) grouped by process/thread name;
    the device process ("/device:...") is summarized when there is one, else the host.
    """
    paths = glob.glob(os.path.join(profile_dir, "**", "perfetto_trace.json.gz"), recursive=True)
    if not paths:
        return {"bench": "profile", "error": f"no perfetto trace under {profile_dir}"}
    with gzip.open(paths[0]) as f:
        events = json.load(f)
    events = events["traceEvents"] if isinstance(events, dict) else events
    procs, threads = {}, {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "process_name":
            procs[e["pid"]] = e["args"]["name"]
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            threads[(e["pid"], e["tid"])] = e["args"]["name"]
    device = [p for p, name in procs.items() if "device" in name.lower()]
    wanted = set(device) if device else set(procs)
    per_thread, per_op = defaultdict(float), defaultdict(lambda: defaultdict(float))
    span = [float("inf"), 0.0]
    for e in events:
        if e.get("ph") != "X" or e.get("pid") not in wanted:
            continue
        thread = f"{procs[e['pid']]} / {threads.get((e['pid'], e.get('tid')), e.get('tid'))}"
        dur = float(e.get("dur", 0.0))
        per_thread[thread] += dur
        per_op[thread][e["name"]] += dur
        span = [min(span[0], e["ts"]), max(span[1], e["ts"] + dur)]
    busiest = max(per_thread, key=per_thread.get) if per_thread else None
    ops = sorted(per_op[busiest].items(), key=lambda kv: -kv[1])[:top] if busiest else []
    total = per_thread.get(busiest, 0.0)
    return {
        "bench": "profile", "trace": paths[0], "span_ms": (span[1] - span[0]) / 1e3,
        "threads_ms": {k: v / 1e3 for k, v in sorted(per_thread.items(), key=lambda kv: -kv[1])[:8]},
        "busiest_thread": busiest, "busiest_ms": total / 1e3,
        "top_ops": [{"name": k[:120], "ms": v / 1e3, "share": v / max(total, 1e-9)} for k, v in ops],
    }  # fmt: skip


def _official_model(num_videos: int = 8, dtype: str = "float32"):
    import jax

    from inrv_jax.model import make_model

    model = make_model(
        common.official_settings(1, changes={"model.compute_dtype": dtype}).model, num_videos
    )
    return model, model.init(jax.random.key(0))


def jax_inversion(sz, model, params, batch: int, pixels: int | None) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np

    from inrv_jax.coords import make_grid
    from inrv_jax.tasks import inversion

    t, h, w = sz["video"]
    n = t * h * w
    learned = 0.01 * np.random.default_rng(0).standard_normal((8, 128)).astype(np.float32)
    targets = jax.random.uniform(jax.random.key(2), (batch, n, 3), jnp.float32, -1.0, 1.0)
    obs = inversion.Observations(make_grid(t, h, w), targets, jnp.ones((batch, n), jnp.float32))
    kw = dict(learned=learned, steps=sz["inv_steps"], init="mean", pixels_per_step=pixels)
    c0 = time.perf_counter()
    inversion.invert(model, params, obs, **kw)  # compiles
    first = time.perf_counter() - c0
    walls = _time(lambda: inversion.invert(model, params, obs, **kw), 2, 0)
    best = min(walls)
    return {
        "bench": "inversion", "impl": "jax", "batch": batch, "video": [t, h, w],
        "dtype": model.module.cfg.compute_dtype,
        "steps": sz["inv_steps"], "pixels_per_step": pixels or n, "first_call_s": first,
        "seconds": best, "videos_per_s": batch / best,
        "device_peak_gb_so_far": _device_peak_gb(),
    }  # fmt: skip


def jax_render(model, params, shape, batch: int, rows: int | None) -> dict:
    import jax
    import numpy as np

    from inrv_jax.rendering import FromLatents, RenderSettings, render

    z = 0.01 * np.random.default_rng(1).standard_normal((batch, 128)).astype(np.float32)
    how = RenderSettings(chunk=1 << 24, rows=rows, batch=batch)
    fn = lambda: render(FromLatents(model, params, z), shape, how)  # noqa: E731
    c0 = time.perf_counter()
    jax.block_until_ready(fn())
    first = time.perf_counter() - c0
    walls = _time(lambda: jax.block_until_ready(fn()), 5, 1)
    from inrv_jax.inr import chunk_rows

    return {
        "bench": "render", "impl": "jax", "video": list(shape), "batch": batch,
        "chunk_rows": chunk_rows(rows), "first_call_s": first, "seconds": min(walls),
        "videos_per_s": batch / min(walls),
    }  # fmt: skip


SECTIONS = ("matmul", "sweep", "train", "profile", "inversion", "render")


def jax_child(sz: dict, sections, chunk_rows: int | None, dtypes, inv_dtypes) -> None:
    """The JAX sections in order; ``chunk_rows`` fixes the train table's rows (no sweep)."""
    _emit(_jax_env())
    if "matmul" in sections:
        for dtype in ("bfloat16", "float32"):
            r = _guard("matmul", jax_matmul, sz["matmul_n"], dtype)
            if r:
                _emit(r)
    best_rows, best_rate = chunk_rows or sz["sweep_rows"][0], 0.0
    if "sweep" in sections and not chunk_rows:
        for rows in sz["sweep_rows"]:
            meta = dict(impl="jax", dtype="bfloat16", batch=sz["sweep_batch"], chunk_rows=rows)
            r = _guard(
                "sweep", jax_train, sz, "bfloat16", sz["sweep_batch"], rows, "sweep", meta=meta
            )
            if r:
                _emit(r)
                if r["pixels_per_s"] > best_rate:
                    best_rows, best_rate = rows, r["pixels_per_s"]
    _emit({"bench": "chosen_chunk_rows", "rows": best_rows})
    shutil.rmtree(PROFILE_DIR, ignore_errors=True)
    if "train" in sections:
        for dtype in dtypes:
            for b in sz["batches"]:
                profile = "profile" in sections and dtype == "bfloat16" and b == sz["sweep_batch"]
                meta = dict(impl=os.environ.get("GPU_SUITE_LABEL", "jax"), dtype=dtype, batch=b)
                r = _guard("train", jax_train, sz, dtype, b, best_rows, "train",
                           PROFILE_DIR if profile else None, meta=meta)  # fmt: skip
                if r:
                    _emit(r)
    if os.path.isdir(PROFILE_DIR):
        r = _guard("profile", summarize_trace, PROFILE_DIR)
        if r:
            _emit(r)
    if "inversion" not in sections and "render" not in sections:
        return
    for inv_dtype in inv_dtypes if "inversion" in sections else ():
        model, params = _official_model(dtype=inv_dtype)
        for pixels in (sz["inv_pixels"], None):
            batches = sz["inv_batches"] if pixels else sz["inv_all_pixel_batches"]
            for b in batches:
                meta = dict(impl="jax", dtype=inv_dtype, batch=b, pixels_per_step=pixels)
                r = _guard("inversion", jax_inversion, sz, model, params, b, pixels, meta=meta)
                if r:
                    _emit(r)
    model, params = _official_model()
    for shape in sz["render_shapes"] if "render" in sections else ():
        for b in sz["render_batches"]:
            for rows in (None, 2048):
                meta = dict(impl="jax", video=list(shape), batch=b, chunk_rows=rows)
                r = _guard("render", jax_render, model, params, shape, b, rows, meta=meta)
                if r:
                    _emit(r)


# ------------------------------------------------------------------------------------------
# torch child.


def torch_train(sz, dtype: str, batch: int, compiled: bool) -> dict:
    import torch

    from benchmarks.torch_official import (
        OfficialConfig,
        OfficialVideoGen,
        coordinate_grid,
        train_step_flops,
    )

    dev = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)
    t, h, w = sz["video"]
    cfg = OfficialConfig(latent_dim=128, num_videos=batch)
    model = OfficialVideoGen(cfg).to(dev)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    grid = torch.from_numpy(coordinate_grid(t, h, w)).to(dev)
    coords = grid.expand(batch, -1, -1)
    videos = torch.rand(batch, grid.shape[0], 3, device=dev) * 2 - 1
    idx = torch.arange(batch, device=dev)
    if compiled:
        torch._dynamo.reset()
    fwd = torch.compile(model) if compiled else model
    bf16 = dtype == "bfloat16"
    losses = []

    holder = {}

    def step_only():
        with torch.autocast(dev, dtype=torch.bfloat16, enabled=bf16):
            out = fwd(idx, coords)["model_out"]
        loss = (out.float() - videos).abs().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        holder["loss"] = loss.detach()

    def sync():
        losses.append(holder["loss"].item())  # synchronizes

    def run():
        step_only()
        sync()

    if dev == "cuda":
        torch.cuda.reset_peak_memory_stats()
    c0 = time.perf_counter()
    run()
    first = time.perf_counter() - c0
    walls = _time(run, sz["steps"], sz["warmup"])  # each step synced
    per_step = _time_async(step_only, sync, sz["steps"])
    n = t * h * w
    flops = train_step_flops(cfg, batch, n)
    return {
        "bench": "train", "impl": "torch-compile" if compiled else "torch-eager", "dtype": dtype,
        "batch": batch, "video": [t, h, w], "first_step_s": first, "s_per_step": per_step,
        "s_per_step_synced": _median(walls), "pixels_per_s": batch * n / per_step,
        "flops_per_step": flops, "tflops": flops / per_step / 1e12,
        "loss_first": losses[0], "loss_last": losses[-1],
        "peak_gb": torch.cuda.max_memory_allocated() / 1e9 if dev == "cuda" else None,
    }  # fmt: skip


def torch_render(shape, batch: int, dtype: str) -> dict:
    import torch

    from benchmarks.torch_official import OfficialConfig, OfficialVideoGen, coordinate_grid

    dev = "cuda" if torch.cuda.is_available() else "cpu"
    model = OfficialVideoGen(OfficialConfig(latent_dim=128, num_videos=8)).to(dev).eval()
    coords = torch.from_numpy(coordinate_grid(*shape)).to(dev).expand(batch, -1, -1)
    z = 0.01 * torch.randn(batch, 128, device=dev)

    def run():
        with torch.no_grad(), torch.autocast(dev, torch.bfloat16, enabled=dtype == "bfloat16"):
            out = model.render(z, coords).float()
        if dev == "cuda":
            torch.cuda.synchronize()
        return out

    walls = _time(run, 5, 1)
    return {
        "bench": "render", "impl": "torch-eager", "dtype": dtype, "video": list(shape),
        "batch": batch, "seconds": min(walls), "videos_per_s": batch / min(walls),
    }  # fmt: skip


def _free_torch():
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def torch_child(sz: dict, budget_s: float) -> None:
    import torch

    torch.backends.cuda.matmul.allow_tf32 = True  # "float32" = TF32 matmuls, as JAX's default
    torch.backends.cudnn.allow_tf32 = True
    _emit({"bench": "env", "impl": "torch", "torch": torch.__version__,
           "cuda": torch.version.cuda,
           "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"})  # fmt: skip
    start = time.perf_counter()
    plan = [("bfloat16", b, False) for b in sz["batches"]]
    plan += [("float32", b, False) for b in sz["batches"]]
    plan += [("bfloat16", b, True) for b in sz["torch_compile_batches"]]
    plan += [("float32", b, True) for b in sz["torch_compile_f32_batches"]]
    for dtype, b, comp in plan:
        if time.perf_counter() - start > budget_s:
            _emit({"bench": "train", "impl": "torch-compile" if comp else "torch-eager",
                   "dtype": dtype, "batch": b, "error": "skipped: time budget"})  # fmt: skip
            continue
        impl = "torch-compile" if comp else "torch-eager"
        meta = dict(impl=impl, dtype=dtype, batch=b, video=list(sz["video"]))
        r = _guard("train", torch_train, sz, dtype, b, comp, meta=meta)
        if r:
            _emit(r)
        _free_torch()
    for shape in sz["render_shapes"]:
        for b in sz["render_batches"]:
            meta = dict(impl="torch-eager", dtype="bfloat16", video=list(shape), batch=b)
            r = _guard("render", torch_render, shape, b, "bfloat16", meta=meta)
            if r:
                _emit(r)
            _free_torch()


# ------------------------------------------------------------------------------------------
# Parent: run the children, write JSON and markdown.


def _write_json(out: str, recs: list[dict]) -> None:
    with open(os.path.join(out, "gpu_suite.json"), "w") as f:
        json.dump(recs, f, indent=1)


def run_child(kind: str, args, timeout: float, extra=(), env=None, label=None) -> list[dict]:
    """Run one ``--child KIND`` (``common.run_child``); its records, then one "child" record
    with its return code, seconds and stderr's tail (the whole stderr in ``OUT/logs``)."""
    label = label or kind
    child_args = [kind, "--out", args.out, *(["--quick"] if args.quick else []), *extra]
    jsonl = {"GPU_SUITE_JSONL": os.path.join(args.out, "logs", f"{label}.jsonl")}
    run = common.run_child(MODULE, child_args, timeout, {**jsonl, **(env or {})})
    with open(os.path.join(args.out, "logs", f"{label}_stderr.log"), "w") as f:
        f.write(run.stderr)
    recs = [json.loads(ln[2:]) for ln in run.stdout.splitlines() if ln.startswith("@@")]
    recs.append({"bench": "child", "kind": label, "returncode": run.returncode, "env": env or {},
                 "seconds": run.seconds, "stderr_tail": run.stderr[-800:]})  # fmt: skip
    return recs


def _fmt(x, spec=".3g"):
    return "–" if x is None else format(x, spec)


def _measured(recs: list[dict], bench: str, out: list[str], error_row):
    """The records of ``bench`` that measured something; each failed one is appended to
    ``out`` as the table row ``error_row(record)`` instead."""
    for r in recs:
        if r["bench"] != bench:
            continue
        if "error" in r:
            out.append(error_row(r))
            continue
        yield r


def markdown(recs: list[dict]) -> str:
    env = {r["impl"]: r for r in recs if r["bench"] == "env"}
    peak = {r["dtype"]: r["tflops_best"] for r in recs if r["bench"] == "matmul"}
    out = [f"# GPU suite ({env.get('jax', {}).get('device', '?')})", ""]
    for impl, e in env.items():
        out.append(
            f"- {impl}: "
            + ", ".join(f"{k} {v}" for k, v in e.items() if k not in ("bench", "impl"))
        )
    out.append(
        "- matmul rate (best of 10): " + ", ".join(f"{k} {v:.0f} TFLOP/s" for k, v in peak.items())
    )
    rows = [r for r in recs if r["bench"] == "chosen_chunk_rows"]
    if rows:
        out.append(f"- train.chunk_rows used for the train table: {rows[0]['rows']}")
    out += ["", "## Train step (official architecture, L1, Adam, all pixels)", "",
            "| impl | dtype | T×H×W×B | chunk rows | s/step | s/step, synced each step | Mpix/s | TFLOP/s | MFU | peak GB | compile s | loss first → last |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in recs:
        if r["bench"] not in ("train", "sweep"):
            continue
        shape = "×".join(map(str, r.get("video", []))) + f"×{r.get('batch')}"
        impl = r["impl"] + (" (sweep)" if r["bench"] == "sweep" else "")
        if "error" in r:
            out.append(
                f"| {impl} | {r.get('dtype')} | {shape} | | {r['error'][:80]} | | | | | | | |"
            )
            continue
        mfu = r["tflops"] / peak[r["dtype"]] if r["dtype"] in peak else None
        mem = r.get("xla_peak_gb", r.get("peak_gb"))
        first = r.get("compile_s", r.get("first_step_s"))
        out.append(
            f"| {impl} | {r['dtype']} | {shape} | {r.get('chunk_rows', '')} | {r['s_per_step']:.4f} "
            f"| {r['s_per_step_synced']:.4f} "
            f"| {r['pixels_per_s'] / 1e6:.1f} | {r['tflops']:.1f} | {_fmt(mfu and 100 * mfu, '.1f')}% "
            f"| {_fmt(mem, '.2f')} | {_fmt(first, '.1f')} | {r['loss_first']:.4f} → {r['loss_last']:.4f} |"
        )  # fmt: skip
    out += ["", "## Batch inversion (official-size model; z only, Adam)", "",
            "| dtype | T×H×W | pixels/step | steps | batch | s | videos/s | × batch 1 |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    base = {(r.get("dtype"), r["pixels_per_step"]): r["videos_per_s"] for r in recs
            if r["bench"] == "inversion" and r.get("batch") == 1 and "error" not in r}  # fmt: skip
    for r in _measured(recs, "inversion", out, lambda r: f"| | | | | | {r['error'][:80]} | | |"):
        key = (r.get("dtype"), r["pixels_per_step"])
        out.append(
            f"| {r.get('dtype', 'float32')} | {'×'.join(map(str, r['video']))} | {key[1]} | {r['steps']} | {r['batch']} | {r['seconds']:.3f} "
            f"| {r['videos_per_s']:.2f} | {_fmt(key in base and r['videos_per_s'] / base[key], '.1f')}× |"
        )  # fmt: skip
    out += [
        "",
        "## Render",
        "",
        "| impl | T×H×W | batch | chunk rows | s | videos/s |",
        "|---|---|---|---|---|---|",
    ]
    for r in _measured(
        recs, "render", out, lambda r: f"| {r.get('impl', '')} | | | | {r['error'][:80]} | |"
    ):
        impl = r["impl"] + (f" ({r['dtype']})" if "dtype" in r else "")
        out.append(
            f"| {impl} | {'×'.join(map(str, r['video']))} | {r['batch']} | {r.get('chunk_rows', 'whole')} "
            f"| {r['seconds']:.4f} | {r['videos_per_s']:.2f} |"
        )  # fmt: skip
    prof = [r for r in recs if r["bench"] == "profile" and "top_ops" in r]
    if prof:
        p = prof[0]
        out += ["", f"## Profile: bf16 step, 3 steps, busiest thread `{p['busiest_thread']}` "
                f"({p['busiest_ms']:.1f} ms busy of a {p['span_ms']:.1f} ms span)", "",
                "| op | ms | share |", "|---|---|---|"]  # fmt: skip
        out += [
            f"| `{o['name'][:90]}` | {o['ms']:.2f} | {100 * o['share']:.1f}% |"
            for o in p["top_ops"]
        ]
    errors = [r for r in recs if r["bench"] == "child" and r["returncode"] != 0]
    for r in errors:
        out.append(f"\nchild {r['kind']} exited {r['returncode']}: {r['stderr_tail'][-400:]}")
    return "\n".join(out) + "\n"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="folder for gpu_suite.json / .md and the trace")
    p.add_argument("--quick", action="store_true", help="tiny sizes (a CPU rehearsal)")
    p.add_argument("--skip", nargs="*", default=[], choices=["jax", "torch"])
    p.add_argument("--jax-timeout", type=float, default=280)
    p.add_argument(
        "--torch-budget", type=float, default=100, help="s before torch rows are skipped"
    )
    p.add_argument("--sections", default=",".join(SECTIONS), help="JAX sections, comma-separated")
    p.add_argument("--dtypes", default="float32,bfloat16", help="train-table dtypes")
    p.add_argument("--inv-dtypes", default="float32", help="inversion model compute dtypes")
    p.add_argument("--inv-batches", default=None, help="inversion batches (comma-separated)")
    p.add_argument("--inv-all-pixel-batches", default=None, help="'' for none")
    p.add_argument("--chunk-rows", type=int, default=None, help="fix train.chunk_rows (no sweep)")
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=XLA_FLAGS",
        help="also run the train table (at --variant-dtypes) under these XLA_FLAGS, as jax[NAME]",
    )
    p.add_argument("--variant-dtypes", default="bfloat16")
    p.add_argument("--variant-timeout", type=float, default=90)
    p.add_argument("--child", choices=["jax", "torch"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    sz = QUICK if args.quick else FULL
    os.makedirs(os.path.join(args.out, "logs"), exist_ok=True)
    sections = [x for x in args.sections.split(",") if x]
    sz = dict(sz)
    if args.inv_batches is not None:
        sz["inv_batches"] = tuple(int(b) for b in args.inv_batches.split(",") if b)
    if args.inv_all_pixel_batches is not None:
        sz["inv_all_pixel_batches"] = tuple(
            int(b) for b in args.inv_all_pixel_batches.split(",") if b
        )
    if args.child == "jax":
        return jax_child(
            sz, sections, args.chunk_rows, args.dtypes.split(","), args.inv_dtypes.split(",")
        )
    if args.child == "torch":
        return torch_child(sz, args.torch_budget)
    t0 = time.perf_counter()
    recs = []
    if "jax" not in args.skip:
        extra = [
            "--sections",
            args.sections,
            "--dtypes",
            args.dtypes,
            "--inv-dtypes",
            args.inv_dtypes,
        ]
        for name in ("inv_batches", "inv_all_pixel_batches"):
            if getattr(args, name) is not None:
                extra += [f"--{name.replace('_', '-')}", getattr(args, name)]
        extra += ["--chunk-rows", str(args.chunk_rows)] if args.chunk_rows else []
        recs += run_child("jax", args, args.jax_timeout, extra)
        _write_json(args.out, recs)
        traces = glob.glob(
            os.path.join(PROFILE_DIR, "**", "perfetto_trace.json.gz"), recursive=True
        )
        if traces:
            shutil.copy(traces[0], os.path.join(args.out, "trace_bf16.json.gz"))
    if "torch" not in args.skip:
        recs += run_child("torch", args, args.torch_budget + 120)
        _write_json(args.out, recs)
    rows = next((r["rows"] for r in recs if r["bench"] == "chosen_chunk_rows"), None)
    for variant in args.variant:  # after torch: the comparison matters more than the variants
        name, _, flags = variant.partition("=")
        extra = ["--sections", "train", "--dtypes", args.variant_dtypes]
        extra += ["--chunk-rows", str(args.chunk_rows or rows or 0)]
        env = {"XLA_FLAGS": flags, "GPU_SUITE_LABEL": f"jax[{name}]"}
        recs += run_child("jax", args, args.variant_timeout, extra, env, f"jax_{name}")
        _write_json(args.out, recs)
    recs.append({"bench": "suite", "seconds": time.perf_counter() - t0, "quick": args.quick,
                 "argv": sys.argv[1:]})  # fmt: skip
    _write_json(args.out, recs)
    md = markdown(recs)
    with open(os.path.join(args.out, "gpu_suite.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
