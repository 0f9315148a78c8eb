"""Learned priors vs the official sampling protocols on a trained atari model.

Copies a trained workdir (default ``runs/latent_space/N512``: 512 atari clips 8x32x32, 2,000 steps;
the original is never written), fits the gaussian, gmm and flow priors (``inrv fit-prior``), then
scores ``random``, ``random-interpolated`` and ``prior:KIND`` against held-out atari episodes
(``benchmarks/latent_space.py``'s held-out episodes, ``common.heldout_sets``: data seed 1, no
frame shared with a training clip) with ``tasks.generation.generation_section`` (FVD, KVD, precision/recall on I3D logits at
112x112) over several seeds (mean ± std), plus the memorization numbers. Writes
``OUT/prior.json`` (with command, commit, date and machine), ``OUT/prior.md``, ``OUT/samples.png`` (rows: modes; columns: samples, middle
frame) and ``OUT/samples.gif``.

    python -m benchmarks.prior [--quick]
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import numpy as np

from benchmarks import common

MODULE = "benchmarks.prior"
KINDS = ("gaussian", "gmm", "flow")
MODES = ("random", "random-interpolated", *(f"prior:{k}" for k in KINDS))
METRICS = ("fvd", "kvd", "precision", "recall")
MEMO = (
    "pixel_psnr_median",
    "feature_distance_median",
    "closer_than_heldout_p5_pixels",
    "closer_than_heldout_p5_features",
    "latent_distance_median",
)


def fit_all(args, workdir) -> dict:
    from inrv_jax.tasks.fit_prior import fit_workdir

    options = {"components": args.components, "steps": args.flow_steps}
    metas = {}
    for kind in KINDS:
        metas[kind] = fit_workdir(workdir, kind, seed=args.seed, **options).meta
        common.log(
            f"fitted {kind}: {metas[kind]['fit_seconds']:.1f} s, loss {metas[kind]['final_loss']}"
        )
    return metas


def spread(values) -> dict:
    v = np.asarray(values, np.float64)
    return {"mean": float(v.mean()), "std": float(v.std()), "values": v.tolist()}


def sample_pictures(trained, workdir, out: pathlib.Path, per_mode: int = 8) -> None:
    from inrv_jax.pictures import label_rows
    from inrv_jax.tasks.generate import generate
    from inrv_jax.video_io import tile_grid, to_uint8, write_gif, write_png

    videos = [generate(trained, m, per_mode, seed=0, workdir=workdir)[1] for m in MODES]
    u8 = to_uint8(np.clip(np.stack(videos), -1, 1))  # [modes, samples, T, H, W, 3]
    u8 = u8.repeat(2, axis=3).repeat(2, axis=4)  # 2x: 32x32 tiles are small
    frames = tile_grid(u8)
    # The still picture names its rows (the modes); the GIF stays the bare grid.
    write_png(out / "samples.png", label_rows(frames[len(frames) // 2], MODES, font_size=14))
    write_gif(out / "samples.gif", frames, 4)


def _num(metric: str, x: float) -> str:
    return {"fvd": f"{x:.0f}", "kvd": f"{x:.4g}"}.get(metric, f"{x:.3f}")


def markdown(record: dict) -> str:
    from inrv_jax.tasks.generation import markdown_note

    p = record["protocol"]
    lines = [
        f"Priors on {p['workdir']} (N = {record['num_latents']} latents of step {record['step']}); "
        f"{p['gen_samples']} samples per mode vs {p['heldout']} held-out atari episodes (data seed 1), "
        f"seeds {p['seeds']}: mean ± std over seeds.",
        "",
        common.md_row(["mode", "FVD ↓", "KVD ↓", "precision ↑", "recall ↑", "nearest-train PSNR",
                       "closer than held-out p5 (pixels / I3D)"]),
        common.md_rule("lrrrrrr"),
    ]  # fmt: skip
    for mode, r in record["modes"].items():
        cells = [f"{_num(m, r[m]['mean'])} ± {_num(m, r[m]['std'])}" for m in METRICS]
        mm = r["memorization"]
        cells += [
            f"{mm['pixel_psnr_median']['mean']:.2f}",
            f"{mm['closer_than_heldout_p5_pixels']['mean']:.2f} / "
            f"{mm['closer_than_heldout_p5_features']['mean']:.2f}",
        ]
        lines.append(common.md_row([mode, *cells]))
    for ref in ("training", "mean-video"):
        r = record["references"][ref]
        cells = [_num(m, r[m]["mean"]) for m in METRICS]
        lines.append(common.md_row([f"reference: {ref}", *cells, "–", "–"]))
    h = record["heldout_memorization"]
    lines.append(common.md_row(["held-out real clips", "–", "–", "–", "–",
                                f"{h['heldout_pixel_psnr_median']:.2f}", "0.05 (by definition)"]))  # fmt: skip
    fits = ", ".join(
        f"{k} {m['fit_seconds']:.1f} s"
        + (f" (loss {m['final_loss']:.3g})" if m["final_loss"] else "")
        for k, m in record["fits"].items()
    )
    lines += ["", f"Fit times: {fits}. Total {record['minutes']:.1f} min.", "",
              markdown_note(record["last_section"])]  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    common.add_source_arguments(p, work="runs/prior_N512")
    p.add_argument("--heldout", type=int, default=48)
    p.add_argument("--gen-samples", type=int, default=32)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--seed", type=int, default=0, help="prior fitting seed")
    p.add_argument("--components", type=int, default=8)
    p.add_argument("--flow-steps", type=int, default=3000)
    p.add_argument("--out", default="docs/prior")
    p.add_argument("--quick", action="store_true", help="few samples, one seed: a rehearsal")
    args = p.parse_args(argv)
    if args.quick:
        args.heldout, args.gen_samples, args.seeds, args.flow_steps = 8, 8, "0", 200
        args.out, args.work = args.out + "_quick", args.work + "_quick"
    from inrv_jax.checkpoint import load_trained
    from inrv_jax.metrics.i3d import I3DFeatures
    from inrv_jax.tasks.generation import generation_section

    start = time.perf_counter()
    header, work, out = common.open_run(MODULE, argv, args.source, args.work, args.out)
    fits = fit_all(args, work)
    trained = load_trained(work)
    sets, _ = common.heldout_sets(common.AtariClips(), args.n, args.heldout, which=["episodes"])
    heldout = sets["episodes"]
    common.log(f"{len(heldout)} held-out clips ({time.perf_counter() - start:.0f} s)")
    features = common.MemoFeatures(I3DFeatures(resolution=112))
    seeds = [int(s) for s in args.seeds.split(",")]
    sections = []
    for seed in seeds:
        sections.append(generation_section(
            trained, heldout, num=args.gen_samples, seed=seed, features=features, workdir=work,
        ))  # fmt: skip
    modes = {}
    for mode in MODES:
        rows = [s["rows"][mode] for s in sections]
        memo = [s["memorization"][mode] for s in sections]
        modes[mode] = {m: spread([r[m] for r in rows]) for m in METRICS}
        modes[mode]["memorization"] = {k: spread([m[k] for m in memo]) for k in MEMO}
    refs = {
        ref: {m: spread([s["rows"][ref][m] for s in sections]) for m in METRICS}
        for ref in ("training", "mean-video")
    }
    sample_pictures(trained, work, out)
    record = {
        **header,
        "protocol": {**vars(args), "seeds": seeds, "workdir": str(work), "i3d_resolution": 112},
        "step": trained.step,
        "num_latents": int(trained.latents.shape[0]),
        "latent_dim": int(trained.latents.shape[1]),
        "fits": fits,
        "modes": modes,
        "references": refs,
        "heldout_memorization": sections[0]["memorization"]["random"],
        "sections": sections,
        "last_section": sections[-1],
        "minutes": (time.perf_counter() - start) / 60,
    }
    from inrv_jax.tasks.scoring import jsonable

    (out / "prior.json").write_text(json.dumps(jsonable(record), indent=1))
    (out / "prior.md").write_text(markdown(record))
    print(markdown(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
