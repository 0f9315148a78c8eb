"""How good is the latent space? INR-V on held-out Atari clips next to simple baselines, as the
number of training clips grows, and (``--ablate-n``) the paper's two "crucial" ingredients ablated.

    python -m benchmarks.latent_space                  # the default run (README "How good is the latent space?")
    python -m benchmarks.latent_space --ablate-n 512   # the same + the ablations (reuses finished runs)
    python -m benchmarks.latent_space --quick          # rehearsal: a few minutes on 2 CPU cores

The defaults: ``configs/atari.py:wide_batch``, the same updates per clip at every N
(``--updates-per-clip``: 3,050 steps of batch 64 at N = 512, 24,400 at N = 4,096), 16 held-out
clips per set, 200 inversion steps of 512 observed pixels, 48 generated clips. Every budget is an
option and is written into the JSON, with the minutes each phase ended at (the record's own run
time is on its page, ``docs/latent_space/latent_space.md``); the ablations at N = ``--ablate-n``
are opt-in (the regularizer's VGG16 features and the progressive stages cost more than their
training steps).

Protocol (every number is written with it into ``OUT/latent_space.json``):

1. Data: the built-in ``atari`` clips of ``configs/atari.py`` (``--frames``×``--size``², data seed
   0). Training set N: clips ``0 .. N-1`` of the training games (``--holdout-games`` left out).
   Held-out *episodes*: the first K clips of the same games under data seed 1 (other random-play
   trunks, so other start states than any training clip). Held-out *games*: the first K clips of
   the ``--holdout-games`` (never trained on). A candidate that shows any frame of a training
   clip of the largest run, byte for byte, is skipped (recorded in ``heldout_skipped``;
   ``benchmarks.common.heldout_sets``, ``inrv_jax.tasks.heldout_protocol``).
2. Training: ``--recipe`` of ``configs/atari.py``, ``--updates-per-clip`` × N / batch steps (or
   ``--steps`` for every N), one run per N in ``WORK/N{N}`` (rerunning reuses finished runs).
3. Held-out suite, on both held-out sets: every task of ``inrv_jax.masks.HELDOUT_TASKS``
   (inversion: ``--inversion-steps`` Adam steps on z, lr 1e-2, from the mean latent,
   ``--inversion-pixels`` random observed pixels a step) scored
   on the pixels the task hid (plain inversion: all pixels), next to that task's baselines
   (``inrv_jax.tasks.baselines``) computed from exactly the same observed pixels.
4. Generation: ``--gen-samples`` random-interpolated samples vs as many held-out-episode clips,
   FVD / KVD / k-NN precision and recall on I3D features (``inrv_jax.tasks.generation``), with the
   reference rows "held-out vs training clips" and "mean video".
5. Ablations at N = ``--ablate-n``, at equal wall-clock to the plain run: + the conditional
   regularizer (``model.conditioning.kind=encoder``; steps scaled by the ratio of its step
   rate, probed on ``PROBE_CLIPS`` clips, to the plain run's logged rate) and + progressive
   initialization (``train.stages``, same total steps).

Writes ``OUT/latent_space.json``, ``OUT/latent_space.md`` and PNG plots
``OUT/heldout_episodes.png``, ``OUT/heldout_games.png`` (``figures.heldout_psnr_figures``) and
``OUT/generation.png``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import time

import numpy as np

from benchmarks import common
from inrv_jax.runtime.host_malloc import retain_freed_memory

retain_freed_memory()  # only with INRV_HOST_MALLOC=retain, as the `inrv` CLI

import jax  # noqa: E402, F401  (after retain_freed_memory)

from inrv_jax.tasks.choose import GRIDS  # noqa: E402

MODULE = "benchmarks.latent_space"
SPLIT_SEEDS = common.SPLIT_SEEDS
# configs/atari.py:wide_batch: 3,050 steps of 64 clips over 512 clips.
UPDATES_PER_CLIP = 3050 * 64 / 512
# Candidate methods each task chooses from on validation clips (inrv_jax.tasks.choose).
CHOOSE_GRIDS = {
    "default": dict(inits=("mean", "nearest"), steps=(100, 300), refine_steps=(0, 300),
                    refine_lrs=(3e-4, 1e-3), anchors=(0.0, 100.0), residuals=("", "linear"),
                    residual_weights=(0.25, 0.5, 0.75, 1.0)),
    "quick": dict(inits=("mean", "nearest"), **GRIDS["quick"]),  # inrv evaluate's quick grid
}  # fmt: skip
CURVE_STEPS = (25, 50, 100, 200, 300)  # z-Adam steps of the INR-V speed curve
CURVE_FIT_MULTIPLES = (2, 4)  # fit-single also gets these multiples of INR-V's longest time


# ------------------------------------------------------------------------------------ config
def run_steps(args, num_videos: int) -> int:
    """Training steps of the run on ``num_videos`` clips: ``--steps``, or ``--updates-per-clip``
    gradient updates of every clip's latent on average (steps x batch / N)."""
    if args.steps:
        return args.steps
    batch = int(make_config(args, num_videos, 1).train.batch_size)
    return max(1, round(args.updates_per_clip * num_videos / batch))


def make_config(args, num_videos: int, steps: int, **overrides):
    """configs/atari.py at the benchmark's clip size, ``num_videos`` clips, ``steps`` steps."""
    return common.atari_config(common.AtariClips.from_args(args), num_videos, steps, **overrides)


def heldout_sets(args, split: str = "test") -> tuple[dict[str, np.ndarray], dict]:
    """The two held-out sets of ``split`` (``common.heldout_sets``) for the largest run."""
    clips = common.AtariClips.from_args(args)
    return common.heldout_sets(clips, max(args.sizes + [args.ablate_n]), args.heldout, split)


# --------------------------------------------------------------------------------- evaluation
def heldout_rows(args, workdir: pathlib.Path, sets: dict, recipes: dict | None = None) -> dict:
    """``heldout_protocol.heldout_rows`` of the model in ``workdir`` with the flags' settings;
    ``recipes``: {set: {task: Recipe}} chosen on validation clips (default: mean init,
    ``--inversion-steps``)."""
    from inrv_jax.tasks.heldout_protocol import heldout_rows as rows

    settings = common.heldout_settings(args)
    return rows(common.load_model(workdir), sets, settings, recipes, log=common.log)


def choose_rows(args, workdir: pathlib.Path, val_sets: dict) -> dict:
    """Each task's method per held-out set, chosen on that set's validation clips
    (``inrv_jax.tasks.choose``; grid ``--choose-grid``, with the encoder init's candidates when
    the model has an encoder): {set: choice}."""
    from inrv_jax.tasks.choose import candidate_grid, choose, encoder_candidates
    from inrv_jax.tasks.evaluate import baseline_context

    trained = common.load_model(workdir)
    tasks = common.heldout_settings(args).tasks
    values = CHOOSE_GRIDS[args.choose_grid]
    # A model trained with an encoder (a recipe with model.encoder.kind=video) also offers the
    # encoder init: its one pass and the grid's z-steps (choose uses the model's own encoder).
    extra = encoder_candidates(**values) if trained.model.has_encoder else ()
    grid = candidate_grid(**values) + extra
    # By the margin over each task's best baseline on the validation clips (fit-single at the
    # candidate's own seconds), as the test rows are judged.
    context = baseline_context(trained, tasks, args.seed)
    out = {}
    for split, videos in val_sets.items():
        common.log(f"  choosing on {len(videos)} validation {split} clips ({len(grid)} candidates)")
        out[split] = choose(trained, videos, tasks, grid, seed=args.seed,
                            pixels_per_step=args.inversion_pixels, context=context,
                            log=print)  # fmt: skip
    return out


def speed_curve(args, workdir: pathlib.Path, videos: np.ndarray) -> dict:
    """Plain inversion (task ``all``) of ``videos``: PSNR against seconds (compilation excluded)
    of INR-V (mean init, z-Adam steps ``CURVE_STEPS``) and of fit-single with the same pixels a
    step and seed, given each of those seconds and ``CURVE_FIT_MULTIPLES`` x the longest."""
    from inrv_jax.tasks.baselines import Context, fit_single_inr
    from inrv_jax.tasks.invert import run_task
    from inrv_jax.tasks.scoring import mean_metrics, video_metrics

    trained = common.load_model(workdir)
    inrv = []
    for steps in CURVE_STEPS:
        res = run_task(trained, videos, "all", steps=steps, seed=args.seed,
                       pixels_per_step=args.inversion_pixels)  # fmt: skip
        inrv.append({"steps": steps, "seconds": res.method_seconds, "psnr": res.summary["psnr"]})
    fit = []
    longest = max(r["seconds"] for r in inrv)
    for budget in [r["seconds"] for r in inrv] + [m * longest for m in CURVE_FIT_MULTIPLES]:
        context = Context(seconds=budget, inr_spec=trained.model.inr_spec, seed=args.seed,
                          pixels_per_step=args.inversion_pixels)  # fmt: skip
        start = time.perf_counter()
        recon = fit_single_inr(videos, np.ones(videos.shape[:4], np.float32), videos.shape[1:4],
                               context)  # fmt: skip
        psnr = mean_metrics(video_metrics(recon, videos))["psnr"]
        fit.append({"budget": budget, "wall": time.perf_counter() - start, "psnr": psnr})
    common.log("  speed: INR-V " + ", ".join(f"{r['seconds']:.1f}s {r['psnr']:.2f}" for r in inrv)
               + " | fit-single " + ", ".join(f"{r['budget']:.1f}s {r['psnr']:.2f}" for r in fit))  # fmt: skip
    return {"inrv": inrv, "fit_single": fit}


def generation_rows(args, workdir: pathlib.Path, heldout: np.ndarray, features) -> dict:
    """``generation_section`` of ``--gen-samples`` samples of the model in ``workdir`` against
    ``heldout`` f32[K, T, H, W, 3] (log lines left out)."""
    from inrv_jax.tasks.generation import generation_section

    return generation_section(
        common.load_model(workdir), heldout, num=args.gen_samples, seed=args.seed,
        features=features, log=lambda *_: None,
    )  # fmt: skip


# ------------------------------------------------------------------------------------ report
def markdown(record: dict) -> str:
    """The tables of README's "How good is the latent space?" section, from one record."""
    p = record["protocol"]
    runs = record["runs"]
    trained = ", ".join(
        f"N = {r['num_videos']}: {r['train']['steps']} steps, {r['train']['seconds'] / 60:.1f} min, "
        f"training clips {r['train']['recon_psnr']:.2f} dB"
        for r in runs
    )
    lines = [
        f"{common.provenance(record)}, {record['minutes']:.1f} min in all.",
        "",
        f"Atari clips {p['frames']}×{p['size']}×{p['size']}, recipe `configs/atari.py:"
        f"{p['recipe']}` at {p['updates_per_clip']:g} updates per clip ({trained}). "
        f"{p['heldout']} test clips per held-out set (held-out games: {p['holdout_games']}) and as "
        f"many validation clips from other data seeds ({_seeds(p)}); candidates sharing a frame "
        f"with a training clip skipped ({_skipped(record)}). Each task's method is chosen on the "
        f"validation clips from {_grid(p)}, every inversion and refinement step drawing "
        f"{p['inversion_pixels']} observed pixels; fit-single draws the same pixels for the "
        "method's seconds (compilation excluded from both).",
        "",
        "PSNR (dB) on the pixels each task hid (plain inversion: all pixels); best baseline in "
        "brackets; ✓ = INR-V beats every baseline" + _spread_note(runs),
        "",
    ]
    sizes = [r["num_videos"] for r in runs]
    for split, title in (("episodes", "unseen episodes"), ("games", "unseen games")):
        lines += [f"**Held-out {title}**", ""]
        lines.append(common.md_row(["task", *(f"N = {n}" for n in sizes),
                                    f"method (N = {sizes[-1]})"]))  # fmt: skip
        lines.append(common.md_rule("l" + "r" * len(sizes) + "l"))
        for task in runs[0]["heldout"][split]:
            cells = [common.heldout_cell(r["heldout"][split][task]) for r in runs]
            method = runs[-1].get("chosen", {}).get(split, {}).get(task, {}).get("name", "–")
            lines.append(common.md_row([task, *cells, method]))
        lines.append("")
    lines += _speed_table(record) + _generation_table(record) + _ablation_table(record)
    return "\n".join(lines) + "\n"


def _spread_note(runs: list) -> str:
    """The sentence's end that explains the ± of ``common.heldout_cell`` where a cell has one."""
    rows = [t for r in runs for s in r["heldout"].values() for t in s.values()]
    if not any("per_video" in t for t in rows):
        return "."
    return (
        "; after the semicolon INR-V's margin over that baseline ± its standard error over "
        "the test clips (per-clip PSNR differences): a margin inside ±2 standard errors is "
        "not told apart from 0 by these clips."
    )


def _seeds(p: dict) -> str:
    seeds = p.get("split_seeds", SPLIT_SEEDS)
    return (f"episodes: test seed {seeds['test'][0]}, validation seed {seeds['validation'][0]}; "
            f"games: test seed {seeds['test'][1]}, validation seed {seeds['validation'][1]}")  # fmt: skip


def _grid(p: dict) -> str:
    g = p.get("choose_grid_values", CHOOSE_GRIDS[p["choose_grid"]])
    text = (f"init {'/'.join(g['inits'])} × {'/'.join(map(str, g['steps']))} z-steps × refinement "
            f"{'/'.join(map(str, g['refine_steps']))} steps (lr {'/'.join(map(str, g['refine_lrs']))}, "
            f"anchor {'/'.join(map(str, g['anchors']))})")  # fmt: skip
    if p.get("encoder_init"):
        steps = "/".join(map(str, (0, *g["steps"])))
        text += f" and the jointly trained encoder's init × {steps} z-steps × the same refinement"
    if "linear" in g.get("residuals", ()):
        text += (", each as it is and as a residual on the task's linear baseline "
                 "(`inrv_jax.tasks.residual`)")  # fmt: skip
        weights = g.get("residual_weights", (1.0,))
        if tuple(weights) != (1.0,):
            text += f" keeping {'/'.join(f'{w:g}' for w in weights)} of INR-V's departure from it"
    return text


def _speed_table(record: dict) -> list[str]:
    lines = ["**Plain inversion against time** (held-out episodes; seconds without compilation; "
             "fit-single drew the same pixels a step)", "",
             common.md_row(["method", "seconds", "PSNR"]), common.md_rule("lrr")]  # fmt: skip
    last = record["runs"][-1]
    if "speed" not in last:
        return []
    for r in last["speed"]["inrv"]:
        name = f"INR-V (N = {last['num_videos']}), mean init + {r['steps']} steps"
        lines.append(common.md_row([name, f"{r['seconds']:.1f}", f"{r['psnr']:.2f}"]))
    for r in last["speed"]["fit_single"]:
        lines.append(common.md_row(["fit-single", f"{r['budget']:.1f}", f"{r['psnr']:.2f}"]))
    return lines + [""]


def _skipped(record: dict) -> str:
    skipped = record.get("heldout_skipped", {})
    return ", ".join(f"{len(v)} {k}" for k, v in skipped.items()) or "none"


def _generation_table(record: dict) -> list[str]:
    lines = [
        "**Generation** (random-interpolated samples vs held-out-episode clips, I3D features)",
        "",
    ]
    lines.append(common.md_row(["N", "FVD ↓", "KVD ↓", "precision ↑", "recall ↑"]))
    lines.append(common.md_rule("rrrrr"))

    def row(name, g: dict) -> str:
        return common.md_row([name, f"{g['fvd']:.1f}", f"{g['kvd']:.3g}", f"{g['precision']:.2f}",
                              f"{g['recall']:.2f}"])  # fmt: skip

    for r in record["runs"]:
        lines.append(row(r["num_videos"], r["generation"]["rows"]["random-interpolated"]))
    refs = record["runs"][-1]["generation"]["rows"]
    lines += [row(name, refs[name]) for name in ("training", "mean-video") if name in refs]
    return lines + [""]


def _ablation_table(record: dict) -> list[str]:
    from inrv_jax.tasks.heldout_protocol import score_key

    if not record.get("ablations"):
        return []
    lines = [
        f"**Ablations at N = {record['protocol']['ablate_n']}** (equal wall-clock; held-out "
        "episodes, PSNR on hidden pixels)",
        "",
    ]
    rows = record["ablations"]
    tasks = list(rows[0]["heldout"]["episodes"])
    lines.append(common.md_row(["run", "train s", "steps", *tasks]))
    lines.append(common.md_rule("lrr" + "r" * len(tasks)))
    for r in rows:
        means = {t: r["heldout"]["episodes"][t]["mean"] for t in tasks}
        cells = [f"{m[score_key(m)]:.2f}" for m in means.values()]
        train = r["train"]
        lines.append(common.md_row([r["name"], f"{train['seconds']:.0f}", train["steps"], *cells]))
    return lines + [""]


def plots(record: dict, out: pathlib.Path) -> list[pathlib.Path]:
    """Held-out PSNR per task vs N, one figure per held-out set (``figures.heldout_psnr_figures``),
    and FVD / KVD vs N."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from benchmarks.figures import heldout_psnr_figures

    sizes = [r["num_videos"] for r in record["runs"]]
    psnr_pngs = heldout_psnr_figures(record, out)
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for ax, metric in zip(axes, ("fvd", "kvd"), strict=True):
        rows = [r["generation"]["rows"] for r in record["runs"]]
        ax.plot(sizes, [g["random-interpolated"][metric] for g in rows], "o-", label="INR-V")
        for ref in ("training", "mean-video"):
            if ref in rows[-1]:
                ax.axhline(rows[-1][ref][metric], ls="--", label=ref, color="grey")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("training clips N")
        ax.set_title(metric.upper())
        ax.legend(fontsize=7)
    fig.tight_layout()
    gen_png = out / "generation.png"
    fig.savefig(gen_png, dpi=110)
    plt.close(fig)
    return [*psnr_pngs, gen_png]


# --------------------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="512,4096", help="training clips N, comma list")
    parser.add_argument(
        "--recipe",
        default=common.AtariClips.recipe,
        help="variant of configs/atari.py ('' = its base)",
    )
    parser.add_argument(
        "--updates-per-clip",
        type=float,
        default=UPDATES_PER_CLIP,
        help="training steps of a run = this x N / batch (equal updates per clip at every N)",
    )
    parser.add_argument(
        "--steps", type=int, default=0, help="training steps of every run (overrides the above)"
    )
    parser.add_argument("--frames", type=int, default=common.AtariClips.frames)
    parser.add_argument("--size", type=int, default=common.AtariClips.size)
    parser.add_argument("--heldout", type=int, default=16, help="clips per held-out set")
    parser.add_argument(
        "--holdout-games", default=common.AtariClips.holdout_games, help="games no run trains on"
    )
    parser.add_argument("--inversion-steps", type=int, default=200)
    parser.add_argument(
        "--inversion-pixels", type=int, default=512, help="observed pixels per inversion step"
    )
    parser.add_argument("--gen-samples", type=int, default=48)
    parser.add_argument(
        "--i3d-resolution", type=int, default=112, help="224: the published FVD protocol"
    )
    parser.add_argument(
        "--ablate-n", type=int, default=0, help="ablations at this N (README: 512); 0: none"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tasks", default=None, help="held-out tasks (default all of them)")
    parser.add_argument(
        "--choose-grid", default="default", choices=tuple(CHOOSE_GRIDS),
        help="candidate methods each task chooses from on validation clips",
    )  # fmt: skip
    parser.add_argument("--work", default="runs/latent_space", help="training workdirs")
    parser.add_argument("--out", default="docs/latent_space", help="JSON, markdown, plots")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a rehearsal")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.updates_per_clip, args.heldout = "64,128", 10.0, 4
        args.inversion_steps, args.gen_samples, args.ablate_n = 20, 8, 0
        args.choose_grid = "quick"
        args.i3d_resolution = min(args.i3d_resolution, 112)
        args.work = args.work + "_quick"
        args.out = args.work + "/report"  # a rehearsal writes nothing into docs/
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.tasks = [t for t in args.tasks.split(",") if t] if args.tasks else None
    return args


PROBE_CLIPS = 64  # clips of the conditional regularizer's step-rate probe


def ablations(args, base_cfg, base_record: dict, work: pathlib.Path) -> list[dict]:
    """The plain run, + conditional regularizer, + progressive init; equal wall-clock."""
    n = args.ablate_n
    steps = run_steps(args, n)
    encoder = {"model.conditioning.kind": "encoder"}
    # The plain rate is the base run's own last logged rate (no second probe of it). The
    # encoder probe trains on at most PROBE_CLIPS clips: its setup (VGG16 features of every
    # clip, the final reconstruction) scales with N, its step time (batch of 8) does not.
    rate_plain = base_record.get("steps_per_s") or common.step_rate(
        base_cfg, work / "probe_plain", 20
    )
    probe_cfg = make_config(args, min(n, PROBE_CLIPS), steps, **encoder)
    rate_encoder = common.step_rate(probe_cfg, work / "probe_encoder", 20)
    encoder_steps = max(10, int(round(steps * rate_encoder / rate_plain)))
    encoder_cfg = make_config(args, n, encoder_steps, **encoder)
    stages = tuple(s for s in (10, 100) if s < n) + (-1,)
    stage_steps = max(10, steps // len(stages))  # the same steps in all, split evenly
    prog_cfg = make_config(args, n, steps)
    prog_cfg.train.stages, prog_cfg.train.stage_steps = stages, stage_steps
    rows = [{"name": "plain (fast recipe)", "train": base_record, "workdir": None}]
    rows.append(
        {
            "name": "+ conditional regularizer",
            "train": common.train_once(encoder_cfg, work / f"N{n}_encoder"),
            "workdir": work / f"N{n}_encoder",
            "step_rates": {"plain": rate_plain, "encoder": rate_encoder},
        }
    )
    rows.append(
        {
            "name": f"+ progressive init {stages}",
            "train": common.train_once(prog_cfg, work / f"N{n}_progressive", progressive=True),
            "workdir": work / f"N{n}_progressive",
            "stage_steps": stage_steps,
        }
    )
    return rows


def main(argv=None) -> dict:
    args = parse_args(argv)
    # Everything the run will use, imported now: editing the tree during a long run is safe.
    import inrv_jax.tasks.evaluate  # noqa: F401
    import inrv_jax.tasks.generation  # noqa: F401
    import inrv_jax.train.progressive  # noqa: F401
    from inrv_jax.metrics.i3d import I3DFeatures

    start = time.perf_counter()
    work, out = common.folders(args)
    features = common.MemoFeatures(I3DFeatures(resolution=args.i3d_resolution))
    sets, skipped = heldout_sets(args)
    val_sets, val_skipped = heldout_sets(args, "validation")
    common.log(f"held-out sets: { {k: v.shape for k, v in sets.items()} } (+ as many validation)")
    record = {
        **common.new_record(MODULE, argv, args),
        # candidate indices sharing a frame with a training clip
        "heldout_skipped": skipped,
        "validation_skipped": val_skipped,
        "runs": [],
    }
    record["protocol"] |= {
        "choose_grid_values": CHOOSE_GRIDS[args.choose_grid],
        # the recipe trains an encoder with the model: the grid then has the encoder init too
        "encoder_init": make_config(args, 1, 1).model.encoder.kind != "off",
        "split_seeds": SPLIT_SEEDS,
    }
    key = _eval_key(args, sets, val_sets)
    for n in args.sizes:
        steps = run_steps(args, n)
        cfg = make_config(args, n, steps)
        common.log(f"N = {n}: training {steps} steps")
        run = {"num_videos": n, "train": common.train_once(cfg, work / f"N{n}")}
        run.update(_evaluation(args, work / f"N{n}", key, sets, val_sets, features))
        run["minutes_at_end"] = (time.perf_counter() - start) / 60  # since the run started
        record["runs"].append(run)
        _write(record, out, start)
    if args.ablate_n:
        ablation_start = time.perf_counter()
        base = next((r for r in record["runs"] if r["num_videos"] == args.ablate_n), None)
        base_cfg = make_config(args, args.ablate_n, run_steps(args, args.ablate_n))
        base_train = (
            base["train"] if base else common.train_once(base_cfg, work / f"N{args.ablate_n}")
        )
        rows = ablations(args, base_cfg, base_train, work)
        only_episodes = {"episodes": sets["episodes"]}
        for row in rows:
            wd = row.pop("workdir") or work / f"N{args.ablate_n}"
            row["heldout"] = (
                {"episodes": base["heldout"]["episodes"]}
                if base and row["name"].startswith("plain")
                else heldout_rows(args, wd, only_episodes)
            )
        record["ablations"] = rows
        record["ablation_minutes"] = (time.perf_counter() - ablation_start) / 60
    _write(record, out, start)
    print(markdown(record))
    print(f"wrote {out}/latent_space.json, latent_space.md, heldout_*.png, generation.png")
    return record


def _eval_key(args, sets: dict, val_sets: dict) -> str:
    """What an N's evaluation depends on besides its model: the protocol and the clips."""
    h = hashlib.sha256()
    for name in ("tasks", "heldout", "inversion_pixels", "inversion_steps", "choose_grid",
                 "gen_samples", "i3d_resolution", "seed"):  # fmt: skip
        h.update(repr(getattr(args, name)).encode())
    h.update(repr((CHOOSE_GRIDS[args.choose_grid], "margin")).encode())
    for group in (sets, val_sets):
        for name in sorted(group):
            h.update(np.ascontiguousarray(group[name]).tobytes())
    return h.hexdigest()[:16]


def _evaluation(args, workdir: pathlib.Path, key: str, sets, val_sets, features) -> dict:
    """The methods chosen on validation clips, the held-out rows with them, the speed curve and
    generation of the model in ``workdir``; reused from ``workdir/eval_KEY.json`` when this
    protocol already ran on this model (each with the commit and date it ran at)."""
    from inrv_jax.tasks.scoring import jsonable

    cached = workdir / f"eval_{key}.json"
    if cached.exists():
        common.log(f"  reusing {cached}")
        return json.loads(cached.read_text())
    header = common.record_header(MODULE, None)
    choice = choose_rows(args, workdir, val_sets)
    recipes = {split: {t: c["tasks"][t]["chosen"] for t in c["tasks"]}
               for split, c in choice.items()}  # fmt: skip
    out = {
        "evaluated": {k: header[k] for k in ("commit", "date", "machine")},
        "chosen": {
            split: {
                t: {
                    "recipe": r.kwargs(),
                    "name": r.name,
                    "validation": _chosen_score(choice[split], t),
                }
                for t, r in rs.items()
            }
            for split, rs in recipes.items()
        },  # fmt: skip
        "choice_scores": {
            split: {
                t: [{k: v for k, v in x.items() if k != "recipe"} for x in c["tasks"][t]["scores"]]
                for t in c["tasks"]
            }
            for split, c in choice.items()
        },  # fmt: skip
        "heldout": heldout_rows(args, workdir, sets, recipes),
        "speed": speed_curve(args, workdir, sets["episodes"]),
        "generation": generation_rows(args, workdir, sets["episodes"], features),
    }
    out = jsonable(out)
    cached.write_text(json.dumps(out, indent=1))
    return out


def _chosen_score(choice: dict, task: str) -> dict:
    """The chosen candidate's validation score, its best baseline there and the margin."""
    c = choice["tasks"][task]
    s = next(x for x in c["scores"] if x["recipe"] == c["chosen"])
    return {k: s.get(k) for k in ("score", "seconds", "baseline", "baseline_score", "margin")}


def _write(record: dict, out: pathlib.Path, start: float) -> None:
    from inrv_jax.tasks.scoring import jsonable

    record["minutes"] = (time.perf_counter() - start) / 60
    (out / "latent_space.json").write_text(json.dumps(jsonable(record), indent=1))
    if record["runs"] and all("generation" in r for r in record["runs"]):
        (out / "latent_space.md").write_text(markdown(record))
        plots(record, out)


if __name__ == "__main__":
    main()
