"""``inrv evaluate``: the standard evaluation suite of a trained model, with
``inrv_jax.tasks.evaluate`` -> ``OUT/eval.json`` + ``OUT/eval.md`` (+ ``recipe.json`` with
``--choose``)."""

from __future__ import annotations

import argparse
import json
import pathlib

from inrv_jax.commands.arguments import (
    CHOOSE_GRIDS,
    INITS,
    add_checkpoint_arguments,
    positive_int,
)
from inrv_jax.errors import InputError
from inrv_jax.masks import HELDOUT_TASKS

# Named when the suite does not fit in memory (inrv_jax.cli).
MEMORY_KNOBS = ("--heldout-num", "--fvd-samples")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_checkpoint_arguments(p)
    p.add_argument("--out", default=None, help="output directory (default WORKDIR/eval)")
    p.add_argument("--heldout", default=None, help="data spec of held-out videos")
    p.add_argument("--heldout-num", type=int, default=8)
    p.add_argument("--tasks", default=",".join(HELDOUT_TASKS), help="comma-separated")
    p.add_argument("--steps", type=int, default=300, help="inversion steps")
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--init", default="mean", choices=INITS)
    p.add_argument(
        "--pixels-per-step",
        type=positive_int,
        default=None,
        help="observed pixels an inversion step draws (default all); fit-single draws the same",
    )
    p.add_argument(
        "--choose",
        action="store_true",
        help="first choose each task's method (init, steps, refinement) on validation clips "
        "disjoint from the test clips; writes OUT/recipe.json and WORKDIR/recipe.json",
    )
    p.add_argument("--validation-num", type=int, default=8, help="validation clips of --choose")
    p.add_argument(
        "--choose-grid",
        default="full",
        choices=CHOOSE_GRIDS,
        help="the candidates --choose scores: full (init x 300 z-steps x refinement 0/100/300 x "
        "lr x anchor, each also as a weighted residual on a linear baseline) or quick (a rehearsal)",
    )
    p.add_argument(
        "--recipe", default=None, help="evaluate with a recipe file of an earlier --choose"
    )
    p.add_argument(
        "--encoder-steps",
        default="0,20",
        help="with a trained encoder in the workdir: inversion steps of its rows (comma list)",
    )
    p.add_argument(
        "--fvd-samples", type=int, default=16, help="0 skips FVD; 2048 = fvd2048_16f protocol"
    )
    p.add_argument("--no-lpips", action="store_true")
    p.add_argument(
        "--no-baselines",
        action="store_true",
        help="skip the model-free baselines beside each held-out task",
    )
    p.add_argument("--seed", type=int, default=0)


def parse_steps(text: str) -> tuple[int, ...]:
    """``--encoder-steps`` "0,20" -> (0, 20); a bad list is an ``InputError`` naming it."""
    try:
        steps = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        steps = (-1,)
    if any(k < 0 for k in steps):
        raise InputError(f"--encoder-steps {text!r}: give step counts >= 0, e.g. 0,20")
    return steps


def _tasks(text: str) -> list[str]:
    """``--tasks`` "a,b" -> ["a", "b"], each a held-out task."""
    tasks = [t for t in text.split(",") if t]
    unknown = sorted(set(tasks) - set(HELDOUT_TASKS))
    if unknown:
        raise InputError(f"--tasks: unknown {unknown}; choose from {', '.join(HELDOUT_TASKS)}")
    return tasks


def run(args) -> int:
    from inrv_jax.checkpoint import load_trained
    from inrv_jax.encoder import has_encoder, load_encoder
    from inrv_jax.tasks.choose import load_recipes, named_grid
    from inrv_jax.tasks.evaluate import evaluate

    if args.choose and args.recipe:
        raise InputError("--choose picks the recipes that --recipe would read; give one of them")
    tasks = _tasks(args.tasks)
    tm = load_trained(args.workdir, args.step)
    encoder = None
    if args.init == "encoder" or has_encoder(args.workdir, tm):  # the former fails naming the fix
        encoder = load_encoder(args.workdir, tm.step, tm.latents.shape[1], trained=tm)
    report = evaluate(
        tm,
        heldout_num=args.heldout_num,
        heldout_spec=args.heldout,
        tasks=tasks,
        steps=args.steps,
        lr=args.lr,
        init=args.init,
        fvd_samples=args.fvd_samples,
        lpips=not args.no_lpips,
        seed=args.seed,
        baselines=not args.no_baselines,
        workdir=args.workdir,
        encoder=encoder,
        encoder_steps=parse_steps(args.encoder_steps),
        pixels_per_step=args.pixels_per_step,
        recipes=load_recipes(args.recipe) if args.recipe else None,
        choose_num=args.validation_num if args.choose else 0,
        candidates=named_grid(args.choose_grid, encoder is not None) if args.choose else None,
    )
    workdir = pathlib.Path(args.workdir)
    out = pathlib.Path(args.out or workdir / "eval")
    provenance = {"checkpoint_step": tm.step, "heldout": args.heldout,
                  "test_num": args.heldout_num}  # fmt: skip
    _write_report(out, report, workdir, provenance)
    chosen = f" and recipe.json (also in {args.workdir})" if args.choose else ""
    print(f"wrote {out}/eval.json, eval.md{chosen}")
    return 0


def _write_report(out: pathlib.Path, report: dict, workdir: pathlib.Path, provenance) -> None:
    """OUT/eval.json and OUT/eval.md (printed too); with a choice of recipes (``--choose``) also
    OUT/recipe.json and WORKDIR/recipe.json, recording ``provenance``."""
    from inrv_jax.tasks.choose import save_recipes
    from inrv_jax.tasks.evaluate import markdown
    from inrv_jax.tasks.scoring import jsonable

    out.mkdir(parents=True, exist_ok=True)
    if "choice" in report:
        for path in (out / "recipe.json", workdir / "recipe.json"):
            save_recipes(path, report["choice"], provenance)
        report["choice"] = {**report["choice"], "tasks": {
            t: {**r, "chosen": r["chosen"].kwargs(),
                "scores": [{**x, "recipe": x["recipe"].kwargs()} for x in r["scores"]]}
            for t, r in report["choice"]["tasks"].items()}}  # fmt: skip
    (out / "eval.json").write_text(json.dumps(jsonable(report), indent=1))
    table = markdown(report)
    (out / "eval.md").write_text(table)
    print(table)
