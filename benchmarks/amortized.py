"""Amortized inversion on held-out Atari clips: a post-hoc video encoder (one pass, or a warm
start for a few Adam steps on z) and refinement of the generated INR, next to 300-step mean-init
inversion, fit-single from scratch and each task's model-free baselines.

    python -m benchmarks.amortized             # the default run (docs/amortized/)
    python -m benchmarks.amortized --quick     # rehearsal: fewer clips, steps and tasks

Protocol (written with every number into ``OUT/amortized.json``):

1. Model: ``--source`` (default ``runs/latent_space/N512``: 512 Atari clips of 8x32x32, fast
   recipe, 2,000 steps), copied once to ``--work``; nothing is written into the source.
2. Encoder: ``inrv train-encoder`` on the copy (``--encoder-steps`` Adam steps, batch
   ``--encoder-batch``, 1,024 random pixels a step, consistency weight 0.1; masks of every
   training task). An encoder already there with as many steps is reused; fewer: continued.
3. Held-out clips: the first ``--heldout`` unseen-episode clips of ``benchmarks/latent_space.py``
   (data seed 1, none sharing a frame with a training clip: ``common.heldout_sets``).
4. Methods, per task (``--pixels`` random observed pixels a step, as latent_space.py's
   inversions; z-Adam lr 1e-2, after the encoder ``--warm-lr``; refinement Adam on the INR's
   parameters, lr ``--refine-lr``): mean-init 300 steps; mean-init 20; encoder K=0; encoder +
   20 (at lr 1e-2 too); encoder + 20 then refine R (``--refine``). Wall-clock includes the
   encoder pass and compilation; a method that took under 30 s is run again and timed warm.
   Plain inversion also gets fit-single (one INR per clip from its own init, Adam 1e-3 on as
   many random pixels a step) at equal steps (20 + R) and equal wall-clock, read off one
   fit-single curve, and the steps each method needs to reach ``--target-psnr`` dB (PSNR of
   the mean MSE over clips).
5. Baselines: each task's ``inrv_jax.tasks.baselines`` (fit-single gets mean-300's seconds).

Writes ``OUT/amortized.json`` (with command, commit, date and machine) and ``OUT/amortized.md``.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import numpy as np

from benchmarks import common
from inrv_jax.runtime.host_malloc import retain_freed_memory

retain_freed_memory()  # only with INRV_HOST_MALLOC=retain, as the `inrv` CLI

import jax  # noqa: E402, F401  (after retain_freed_memory)

MODULE = "benchmarks.amortized"
WARM_BELOW = 30.0  # seconds: cheaper methods are timed on a second, compiled run


def heldout_clips(args, work: pathlib.Path) -> np.ndarray:
    """The held-out episodes, kept in ``work`` (finding them generates every training clip)."""
    path = work / f"heldout_episodes_{args.heldout}.npy"
    if not path.exists():
        sets, _ = common.heldout_sets(common.AtariClips(), args.n, args.heldout, which=["episodes"])
        np.save(path, sets["episodes"])
    return np.load(path)


def ensure_encoder(args, work: pathlib.Path) -> dict:
    """Train (or continue) the encoder of ``work`` to ``--encoder-steps``; its meta."""
    from inrv_jax.encoder import has_encoder, load_encoder
    from inrv_jax.tasks.train_encoder import Settings, train_workdir

    done = load_encoder(work).meta["steps"] if has_encoder(work) else 0
    if done < args.encoder_steps:
        settings = Settings(steps=args.encoder_steps - done, batch=args.encoder_batch)
        train_workdir(work, settings)
    return load_encoder(work).meta


def timed(fn):
    """(result, seconds): run again when the first took under WARM_BELOW (compiled, warm)."""
    result = fn()
    seconds = result.seconds + result.refine_seconds
    if seconds < WARM_BELOW:
        result = fn()
        seconds = result.seconds + result.refine_seconds
    return result, seconds


def curve_psnr(losses: np.ndarray) -> list[float]:
    """f32[steps, B] observed-pixel MSE -> PSNR of the mean MSE over clips at each step."""
    from inrv_jax.losses import mse_to_psnr

    return [float(mse_to_psnr(m)) for m in losses.mean(axis=1)]


def steps_to(curve: list[tuple[int, float]], target: float) -> int | None:
    return next((s for s, p in curve if p >= target), None)


def run_task_methods(args, trained, encoder, clips, task: str) -> tuple[dict, dict]:
    """Every method on one task: ({name: summary + seconds}, {name: TaskResult})."""
    from inrv_jax import masks as masks_lib
    from inrv_jax.tasks.invert import run_task

    options = masks_lib.get_task(task).heldout_options(clips.shape[1])

    def method(init, steps, refine=0, lr=1e-2):
        return lambda: run_task(trained, clips, task, init=init, steps=steps, batch=len(clips),
                                lr=lr, encoder=encoder, refine_steps=refine,
                                refine_lr=args.refine_lr, pixels_per_step=args.pixels,
                                **options)  # fmt: skip

    # A warm start sits near its answer: z-Adam's lr 1e-2 moves every coordinate ~0.01 a step
    # at first, about the learned latents' whole std (~0.02), and walks away from it.
    warm = args.warm_lr
    plan = {"mean+300": method("mean", 300), "mean+20": method("mean", 20),
            "encoder+0": method("encoder", 0), "encoder+20 (lr 1e-2)": method("encoder", 20),
            "encoder+20": method("encoder", 20, lr=warm)}  # fmt: skip
    for r in args.refine:
        plan[f"encoder+20+refine{r}"] = method("encoder", 20, r, lr=warm)
    rows, results = {}, {}
    for name, fn in plan.items():
        res, seconds = timed(fn)
        results[name] = res
        rows[name] = {**res.summary, "seconds": seconds, "load": common.load_avg()}
        common.log(f"  {task:20s} {name:22s} {_fmt(rows[name])}")
    return rows, results


def _fmt(row: dict) -> str:
    unobs = row.get("psnr_unobserved")
    u = "" if unobs is None else f"  unobserved {unobs:6.2f}"
    return f"psnr {row['psnr']:6.2f}{u}  {row['seconds']:7.1f} s"


def fit_single_section(args, trained, clips, results) -> dict:
    """fit-single's curve on the clips and the comparisons with refinement (plain inversion)."""
    from inrv_jax.tasks.fit_single import fit_videos

    frac = min(1.0, args.pixels / np.prod(clips.shape[1:4]))  # the same pixels a step
    _, curve = fit_videos(clips, trained.model.inr_spec, steps=args.fit_steps, lr=1e-3,
                          sample_frac=frac, seconds=args.fit_seconds, eval_every=10)  # fmt: skip
    fit = [(c["step"], c["psnr"]) for c in curve]
    longest = max(args.refine)
    ref = results[f"encoder+20+refine{longest}"]
    # refine_losses[s]: the MSE on step s's random pixels before the step (task "all"): a noisy
    # estimate of the full-grid MSE, as fit-single's curve is exact but sparse.
    ref_curve = [(20 + s, p) for s, p in enumerate(curve_psnr(ref.refine_losses))]
    rows = {}
    for r in args.refine:
        name = f"encoder+20+refine{r}"
        res = results[name]
        seconds = res.seconds + res.refine_seconds
        at_steps = [c for c in curve if c["step"] <= 20 + r]
        at_time = [c for c in curve if c["seconds"] <= seconds]
        rows[name] = {
            "steps": 20 + r,
            "seconds": seconds,
            "fit_single_equal_steps": at_steps[-1] if at_steps else None,
            "fit_single_equal_seconds": at_time[-1] if at_time else None,
        }
    return {
        "curve": curve,
        "refine_curve": ref_curve,
        "target_psnr": args.target_psnr,
        "steps_to_target": {
            "fit-single": steps_to(fit, args.target_psnr),
            "encoder+20+refine": steps_to(ref_curve, args.target_psnr),
        },
        "rows": rows,
    }


def baselines_section(trained, clips, task: str, seconds: float, train_videos) -> dict:
    from inrv_jax import masks as masks_lib
    from inrv_jax.tasks.baselines import run_baselines

    options = masks_lib.get_task(task).heldout_options(clips.shape[1])
    out = run_baselines(clips, task, train_videos=train_videos, seconds=seconds,
                        inr_spec=trained.model.inr_spec, **options)  # fmt: skip
    return {name: {**r.summary, "seconds": r.seconds} for name, r in out.items()}


def markdown(record: dict) -> str:
    """The record's tables: every method and baseline per task, then refinement vs fit-single."""
    p = record["protocol"]
    enc = record["encoder"]
    # Records written before the record header named the machine in words ("platform").
    where = (f"{record['platform']}; load average {record['load']}" if "platform" in record
             else common.machine_text(record["machine"]))  # fmt: skip
    lines = [
        "# Amortized inversion on held-out Atari clips",
        "",
        f"Model: `{p['source']}` ({record['num_latents']} training clips, step {record['step']}). "
        f"Encoder: {enc['steps']} post-hoc steps (batch {enc['settings']['batch']}) in "
        f"{enc['seconds']:.0f} s; fixed-batch render MSE {enc['eval_before']['render']:.4f} -> "
        f"{enc['eval_after']['render']:.4f}. {p['heldout']} held-out clips (unseen episodes), "
        f"{where}. Wall-clock includes compilation "
        f"(methods under {WARM_BELOW:.0f} s: a second, warm run).",
        "",
        "PSNR in dB (all pixels / the hidden pixels); seconds for all clips together.",
        "",
    ]
    for task, sec in record["tasks"].items():
        lines += [f"## {task}", "", common.md_row(["method", "PSNR all", "PSNR unobserved",
                                                   "seconds"]), common.md_rule("lrrr")]  # fmt: skip
        for name, row in {**sec["methods"], **sec["baselines"]}.items():
            unobs = row.get("psnr_unobserved")
            u = "–" if unobs is None else f"{unobs:.2f}"
            lines.append(common.md_row([name, f"{row['psnr']:.2f}", u, f"{row['seconds']:.1f}"]))
        lines.append("")
    fs = record.get("fit_single")
    if fs:
        lines += ["## Refinement vs fit-single (plain inversion)", "",
                  common.md_row(["method", "steps", "seconds", "PSNR", "fit-single at equal steps",
                                 "fit-single at equal seconds"]), common.md_rule("lrrrrr")]  # fmt: skip
        for name, row in fs["rows"].items():
            psnr = record["tasks"]["all"]["methods"][name]["psnr"]
            es, et = row["fit_single_equal_steps"], row["fit_single_equal_seconds"]
            lines.append(common.md_row([name, row["steps"], f"{row['seconds']:.1f}", f"{psnr:.2f}",
                                        _curve_point(es), _curve_point(et)]))  # fmt: skip
        st = fs["steps_to_target"]
        lines += ["", f"Steps to {fs['target_psnr']:.0f} dB (PSNR of the mean MSE): fit-single "
                  f"{st['fit-single'] or 'not reached'} (of {fs['curve'][-1]['step']} run), "
                  f"encoder+20+refine {st['encoder+20+refine'] or 'not reached'}.", ""]  # fmt: skip
    return "\n".join(lines) + "\n"


def _curve_point(point) -> str:
    if point is None:
        return "–"
    return f"{point['psnr']:.2f} (step {point['step']}, {point['seconds']:.0f} s)"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    common.add_source_arguments(p, work="runs/encoder_N512")
    p.add_argument("--heldout", type=int, default=16)
    p.add_argument("--encoder-steps", type=int, default=1000)
    p.add_argument(
        "--pixels", type=int, default=1024, help="random observed pixels a step (all methods)"
    )
    p.add_argument("--encoder-batch", type=int, default=16)
    p.add_argument("--tasks", default="all,inpainting,prediction,frame-interpolation")
    p.add_argument("--refine", default="20,100,300", help="refinement steps after encoder+20")
    p.add_argument("--refine-lr", type=float, default=1e-4)
    p.add_argument("--warm-lr", type=float, default=1e-3, help="z-Adam lr after the encoder")
    p.add_argument("--fit-steps", type=int, default=1500, help="fit-single's longest curve")
    p.add_argument("--fit-seconds", type=float, default=600, help="fit-single's time cap")
    p.add_argument("--target-psnr", type=float, default=30.0)
    p.add_argument("--out", default="docs/amortized")
    p.add_argument("--quick", action="store_true", help="a rehearsal: 4 clips, short runs")
    args = p.parse_args(argv)
    if args.quick:
        args.heldout, args.encoder_steps, args.refine = 4, 50, "20,40"
        args.tasks, args.fit_steps, args.fit_seconds = "all,prediction", 100, 60
        args.out, args.work = args.out + "_quick", args.work + "_quick"
    args.refine = [int(r) for r in args.refine.split(",")]
    from inrv_jax.checkpoint import load_trained
    from inrv_jax.encoder import load_encoder
    from inrv_jax.tasks.videos import training_videos

    start = time.perf_counter()
    header, work, out = common.open_run(MODULE, argv, args.source, args.work, args.out)
    enc_meta = ensure_encoder(args, work)
    trained = load_trained(work)
    encoder = load_encoder(work, trained.step, trained.latents.shape[1])
    clips = heldout_clips(args, work)
    train_videos = training_videos(trained)
    common.log(f"{len(clips)} held-out clips ({time.perf_counter() - start:.0f} s)")
    tasks, fit = {}, None
    for task in args.tasks.split(","):
        rows, results = run_task_methods(args, trained, encoder, clips, task)
        base = baselines_section(trained, clips, task, rows["mean+300"]["seconds"], train_videos)
        for name, row in base.items():
            common.log(f"  {task:20s} {name:22s} {_fmt(row)}")
        tasks[task] = {"methods": rows, "baselines": base}
        if task == "all":
            fit = fit_single_section(args, trained, clips, results)
            common.log(f"  steps to {args.target_psnr} dB: {fit['steps_to_target']}")
        write(out, record(header, args, trained, enc_meta, tasks, fit, start), md=False)  # so far
    write(out, record(header, args, trained, enc_meta, tasks, fit, start))
    return 0


def write(out: pathlib.Path, rec: dict, md: bool = True) -> None:
    from inrv_jax.tasks.scoring import jsonable

    (out / "amortized.json").write_text(json.dumps(jsonable(rec), indent=1))
    if md:
        (out / "amortized.md").write_text(markdown(rec))
        print(markdown(rec))
        print(f"wrote {out}/amortized.json and amortized.md ({rec['seconds']:.0f} s)")


def record(header: dict, args, trained, enc_meta, tasks, fit, start) -> dict:
    """The JSON record: ``header`` (``common.record_header``), the protocol and every row."""
    return {
        **header,
        "protocol": {**vars(args), "warm_below_s": WARM_BELOW, "inversion_lr": 1e-2},
        "step": trained.step,
        "num_latents": int(trained.latents.shape[0]),
        "encoder": {k: v for k, v in enc_meta.items() if k != "records"},
        "encoder_records": enc_meta["records"],
        "tasks": tasks,
        "fit_single": fit,
        "seconds": time.perf_counter() - start,
    }


if __name__ == "__main__":
    sys.exit(main())
