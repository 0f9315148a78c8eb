"""Videos inverted per second by the vectorized latent inversion, at several batch sizes.

    python -m benchmarks.inversion_throughput [--config configs/shapes.py] [--batches 1,8,64]
        [--steps 100] [--workdir RUN]   # a trained run instead of a config's random init

The hypernetwork and INR come from the config (random init: speed does not depend on the
weights) or from a trained workdir. Every video gets ``--steps`` Adam steps on all pixels of its
clip (the config's T×H×W); timings are the best of ``--repeats`` runs after compilation. Prints
a table and a JSON line; the aim is ≥ 20× the batch-1 throughput at batch 64.
"""

from __future__ import annotations

import argparse
import os
import time

from benchmarks import common
from inrv_jax.runtime.host_malloc import retain_freed_memory

retain_freed_memory()  # only with INRV_HOST_MALLOC=retain, as the `inrv` CLI

import jax  # noqa: E402
import numpy as np  # noqa: E402

from inrv_jax.rendering import FromLatents, render  # noqa: E402
from inrv_jax.tasks import inversion  # noqa: E402

MODULE = "benchmarks.inversion_throughput"


def _model(args):
    if args.workdir:
        from inrv_jax.checkpoint import load_trained

        tm = load_trained(args.workdir)
        return tm.model, tm.params, tm.latents, tm.video_shape
    from inrv_jax.config import load_config, to_settings
    from inrv_jax.model import make_model

    settings = to_settings(load_config(args.config))
    model = make_model(settings.model, 8)
    params = model.init(jax.random.key(0))
    z = np.asarray(model.latents(params, np.arange(8))[0])
    return model, params, z, settings.video_shape


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="configs/shapes.py")
    p.add_argument("--workdir", default=None)
    p.add_argument("--batches", default="1,8,64")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--pixels-per-step", type=int, default=None)
    p.add_argument("--out", default="docs/performance",
                   help="folder of the record inversion_throughput.json ('' = none)")  # fmt: skip
    args = p.parse_args(argv)
    header = common.record_header(MODULE, argv)
    model, params, learned, shape = _model(args)
    print(f"backend {jax.default_backend()}, {len(jax.devices())} device(s), clips {shape}, "
          f"{args.steps} steps per video, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    rng = np.random.default_rng(0)
    rows = []
    for batch in (int(b) for b in args.batches.split(",")):
        z = learned.mean(0) + learned.std(0) * rng.standard_normal((batch, learned.shape[1]))
        videos = render(FromLatents(model, params, z.astype(np.float32)), shape)
        obs = inversion.observe(videos, np.ones(shape, np.float32))
        kw = dict(steps=args.steps, init="zeros", pixels_per_step=args.pixels_per_step)
        inversion.invert(model, params, obs, learned=learned, **kw)  # compile
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            inversion.invert(model, params, obs, learned=learned, **kw)
            best = min(best, time.perf_counter() - start)
        rows.append({"batch": batch, "seconds": best, "videos_per_s": batch / best})
    base = rows[0]["videos_per_s"]
    for r in rows:
        r["speedup_vs_first"] = r["videos_per_s"] / base
    protocol = {k: v for k, v in vars(args).items() if k != "out"}
    record = {**header, "protocol": protocol, "shape": list(shape), "results": rows}
    print(markdown(record))
    common.write_record(args.out, "inversion_throughput", record)
    return record


def markdown(record: dict) -> str:
    """The table of an ``inversion_throughput.json`` record (``benchmarks.report``)."""
    p = record["protocol"]
    pixels = p["pixels_per_step"] or "all"
    model = (
        f"trained workdir `{p['workdir']}`" if p["workdir"] else f"`{p['config']}` (random init)"
    )
    lines = [
        f"Model {model}; clips {'×'.join(map(str, record['shape']))}; {p['steps']} Adam steps "
        f"on z per video, {pixels} pixels a step; best of {p['repeats']} runs after compilation.",
        "",
        common.md_row(["batch", "seconds", "videos/s", "× batch " + str(record["results"][0]["batch"])]),
        common.md_rule("rrrr"),
        *(common.md_row([r["batch"], f"{r['seconds']:.3f}", f"{r['videos_per_s']:.2f}",
                         f"{r['speedup_vs_first']:.1f}×"]) for r in record["results"]),
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
