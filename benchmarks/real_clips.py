"""Held-out *real* clips: INR-V trained on the sample videos' first 70 % of frames, inverted on
clips of their last 30 % (``configs/sample_clips.py``: validation = the first half of those
frames, test = the second), each task's method chosen on the validation clips, next to every
baseline of the task, and the post-hoc encoder (one pass, + 20 steps) beside the chosen method.

    python -m benchmarks.real_clips            # the record in docs/real_clips/ (~20 min, 2 CPU cores)
    python -m benchmarks.real_clips --quick    # rehearsal: tiny budgets, writes under runs/ only

Protocol (written with every number into ``OUT/real_clips.json``, with command, commit, date
and machine): train ``--config`` (``--steps``) in ``WORK/model`` (reused when finished), train
a post-hoc encoder (``--encoder-steps``; reused when there), then ``inrv_jax.tasks.evaluate``
with ``choose_num`` = ``--clips`` validation clips and ``--clips`` test clips, ``--pixels``
observed pixels an inversion step (fit-single draws the same, for the method's seconds), the
encoder rows at 0 and 20 steps, no FVD, no LPIPS.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

from benchmarks import common

MODULE = "benchmarks.real_clips"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="configs/sample_clips.py")
    p.add_argument("--steps", type=int, default=0, help="training steps (0: the config's)")
    p.add_argument("--encoder-steps", type=int, default=1000)
    p.add_argument("--clips", type=int, default=10, help="validation clips and test clips")
    p.add_argument("--tasks", default="all,inpainting,prediction,frame-interpolation")
    p.add_argument("--pixels", type=int, default=512, help="observed pixels an inversion step")
    p.add_argument("--work", default="runs/real_clips")
    p.add_argument("--out", default="docs/real_clips")
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.steps, args.encoder_steps, args.clips = 40, 20, 3
        args.work, args.out = args.work + "_quick", args.work + "_quick/report"
    return args


def train_model(args, workdir: pathlib.Path) -> dict:
    """``--config`` (``--steps``) trained afresh in ``workdir``, or the run finished there."""
    from inrv_jax.config import load_config

    config = load_config(str(common.ROOT / args.config))
    if args.steps:
        config.train.steps = args.steps
        config.train.eval_every = config.train.checkpoint_every = args.steps
        # Settings require warmup < steps (--quick's 40 < the recipe's 50): the shortest cut.
        config.optim.warmup_steps = min(int(config.optim.warmup_steps), args.steps - 1)
    return common.train_once(config, workdir, fresh=True)


def markdown(record: dict) -> str:
    """The table README's "Real clips" paragraph shows, from one record."""
    from inrv_jax.tasks.choose import Recipe
    from inrv_jax.tasks.evaluate import BASELINES, versus_best
    from inrv_jax.tasks.scoring import compared_metric

    p, t = record["protocol"], record["train"]
    report = record["report"]
    lines = [
        f"{common.provenance(record)}, {record['minutes']:.1f} min in all.",
        "",
        f"`{p['config']}`: {t['num_videos']} training clips, {t['steps']} steps in "
        f"{t['seconds'] / 60:.1f} min, training clips {t['recon_psnr']:.2f} dB; post-hoc encoder "
        f"{p['encoder_steps']} steps; {p['clips']} validation and {p['clips']} test clips of the "
        f"held-out later frames; {p['pixels']} observed pixels an inversion step. PSNR (dB) on "
        "the hidden pixels (inversion: all pixels).",
        "",
        common.md_row(["task", "chosen method (validation)", "INR-V", "encoder, one pass",
                       "encoder + 20", "best baseline"]),
        common.md_rule("llrrrl"),
    ]  # fmt: skip
    for task, res in report["tasks"].items():
        key = compared_metric(task)
        amortized = res.get("amortized", {})
        enc = [amortized.get(k, {}).get("mean", {}).get(key) for k in ("encoder+0", "encoder+20")]
        verdict, best = versus_best(task, res)
        best_cell = "–" if best is None else (
            f"{BASELINES[best].title if best in BASELINES else best} "
            f"{res['baselines'][best]['mean'][key]:.2f} ({verdict})")  # fmt: skip
        name = Recipe.from_dict(res["recipe"]).name if "recipe" in res else "–"
        cells = [f"{x:.2f}" if x is not None else "–" for x in enc]
        lines.append(common.md_row([task, name, f"{res['mean'][key]:.2f}", *cells, best_cell]))
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    args = parse_args(argv)
    from inrv_jax.checkpoint import load_trained
    from inrv_jax.encoder import has_encoder, load_encoder
    from inrv_jax.tasks.evaluate import evaluate
    from inrv_jax.tasks.scoring import jsonable
    from inrv_jax.tasks.train_encoder import Settings, train_workdir

    start = time.perf_counter()
    work, out = common.folders(args)
    record = common.new_record(MODULE, argv, args)
    record["train"] = train_model(args, work / "model")
    print(f"trained: {record['train']}", flush=True)
    trained = load_trained(work / "model")
    encoder = None
    if has_encoder(work / "model"):  # reused when it has the steps asked for
        encoder = load_encoder(work / "model", trained.step, trained.latents.shape[1])
    if encoder is None or encoder.meta["steps"] < args.encoder_steps:
        encoder = train_workdir(work / "model", Settings(steps=args.encoder_steps))
    record["encoder"] = {k: encoder.meta[k] for k in ("steps", "seconds") if k in encoder.meta}
    report = evaluate(
        trained,
        heldout_num=args.clips,
        tasks=[t for t in args.tasks.split(",") if t],
        fvd_samples=0,
        lpips=False,
        encoder=encoder,
        pixels_per_step=args.pixels,
        choose_num=args.clips,
        workdir=work / "model",
    )
    choice = report.pop("choice")
    report["choice"] = {"paths": choice["paths"], "tasks": {
        t: {"chosen": c["chosen"].kwargs(), "scores": [
            {k: v for k, v in s.items() if k != "recipe"} for s in c["scores"]]}
        for t, c in choice["tasks"].items()}}  # fmt: skip
    for res in report["tasks"].values():  # per-video arrays: the means are the record
        res.pop("per_video", None)
        for b in res.get("baselines", {}).values():
            b.pop("per_video", None)
        for a in res.get("amortized", {}).values():
            a.pop("per_video", None)
    report["reconstruction"].pop("per_video", None)
    record["report"] = report
    record["minutes"] = (time.perf_counter() - start) / 60
    record = jsonable(record)
    (out / "real_clips.json").write_text(json.dumps(record, indent=1))
    (out / "real_clips.md").write_text(markdown(record))
    print(markdown(record))
    print(f"wrote {out}/real_clips.json and real_clips.md")
    return record


if __name__ == "__main__":
    main()
