"""Each task's inversion method, chosen on validation clips (never on the clips it is tested on).

A **recipe** is how one task is inverted: the init (``mean``, ``nearest``, ``encoder``), the
z-Adam steps and learning rate, then optionally refinement of the generated INR (steps, which
leaves, learning rate, anchor: ``tasks.refine``). ``choose`` scores every candidate recipe of a
grid on *validation* clips, held-out clips disjoint from the test clips (``tasks.videos``'
``split="validation"``), by the task's compared metric (``scoring.compared_metric``: PSNR over
the hidden pixels, plain inversion over all pixels), and keeps the best per task. The test clips
never enter: ``choose`` only sees the videos it is given.

With a baseline ``context`` (``baselines.Context``) the criterion is the **margin** over the
task's best baseline on the same validation clips instead of the bare score: the time-free
baselines once, and fit-single at each candidate's own seconds (one fit-single run per task,
read at every candidate's time, ``baselines.fit_single_curve``). A method that is better but
slower than fit-single's gain in that time then loses to a cheaper one, as it would on test.

Candidates that share an init and z-steps share one inversion; their refinements start from its
latents. Scores come with the method's seconds (compilation excluded), so the record shows what
each choice costs.

Python API::

    val, _ = heldout_videos(tm, 16, split="validation")
    choice = choose(tm, val, ["prediction", "inpainting"], pixels_per_step=512)
    save_recipes(path, choice)            # what `inrv evaluate --choose` writes
    recipe = load_recipes(path)["prediction"]
    run_task(tm, test_videos, "prediction", **recipe.kwargs())
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import pathlib
import time

import numpy as np

from inrv_jax.encoder import joint_encoder
from inrv_jax.errors import InputError
from inrv_jax.masks import get_task
from inrv_jax.rendering import FromINRs, FromLatents, render
from inrv_jax.tasks.baselines import fit_single_curve, run_prepared
from inrv_jax.tasks.inversion import invert
from inrv_jax.tasks.prepare import prepare
from inrv_jax.tasks.refine import refine
from inrv_jax.tasks.residual import baseline_of, on_baseline, residual_baselines, shrink
from inrv_jax.tasks.scoring import compared_metric, jsonable, mean_metrics, video_metrics

RECIPE_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Recipe:
    """One way to invert a task: ``run_task``'s method keywords (``kwargs()``)."""

    init: str = "mean"
    steps: int = 300
    lr: float = 1e-2
    refine_steps: int = 0
    refine_part: str = "all"
    refine_lr: float = 1e-4
    refine_anchor: float = 0.0
    residual: str = ""
    residual_weight: float = 1.0

    def kwargs(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def name(self) -> str:
        """E.g. ``mean+300``, ``nearest+300 refine all 100 (lr 0.0001, anchor 10)``,
        ``mean+100, residual on blend`` or ``mean+100, residual on blend x0.5``."""
        text = f"{self.init}+{self.steps}"
        if self.refine_steps:
            text += (f" refine {self.refine_part} {self.refine_steps} (lr {self.refine_lr:g}, "
                     f"anchor {self.refine_anchor:g})")  # fmt: skip
        if self.residual:
            text += f", residual on {self.residual}"
            if self.residual_weight != 1.0:
                text += f" x{self.residual_weight:g}"
        return text

    @classmethod
    def from_dict(cls, d: dict) -> Recipe:
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - fields)
        if unknown:
            raise InputError(f"recipe has unknown keys {unknown}; known: {sorted(fields)}")
        return cls(**d)


def candidate_grid(
    inits=("mean", "nearest"),
    steps=(300,),
    lr: float = 1e-2,
    refine_steps=(0, 100, 300),
    refine_parts=("all",),
    refine_lrs=(3e-4, 1e-3),
    anchors=(0.0, 100.0),
    residuals=("", "linear"),
    residual_weights=(0.25, 0.5, 0.75, 1.0),
) -> tuple[Recipe, ...]:
    """Every combination (refinement settings only where ``refine_steps`` > 0). ``residuals``:
    '' (INR-V as it is) and/or ``"linear"``: also as a residual on each linear baseline of the
    task (``tasks.residual``; ``choose`` expands it per task), with each of ``residual_weights``
    (in (0, 1]: the share of INR-V's departure from the baseline kept)."""
    out = []
    for init, k in itertools.product(inits, steps):
        methods = [Recipe(init, int(k), lr)]
        for r, part, rlr, anchor in itertools.product(
            [r for r in refine_steps if r], refine_parts, refine_lrs, anchors
        ):
            methods.append(Recipe(init, int(k), lr, int(r), part, float(rlr), float(anchor)))
        for m, x in itertools.product(methods, residuals):
            weights = residual_weights if x else (1.0,)
            out += [dataclasses.replace(m, residual=x, residual_weight=float(w)) for w in weights]
    return tuple(out)


# The candidate grids ``inrv evaluate --choose-grid`` names (``candidate_grid`` keywords): "full",
# the default grid; "quick", a rehearsal of the same path in a fraction of the time.
GRIDS = {
    "full": {},
    "quick": dict(steps=(20,), refine_steps=(0, 10), refine_lrs=(3e-4,), anchors=(0.0,),
                  residuals=("", "linear"), residual_weights=(0.5, 1.0)),
}  # fmt: skip


def named_grid(name: str, encoder: bool = False) -> tuple[Recipe, ...]:
    """The candidates of grid ``name`` (``GRIDS``), with ``encoder_candidates`` when
    ``encoder``."""
    grid = GRIDS[name]
    return candidate_grid(**grid) + (encoder_candidates(**grid) if encoder else ())


def encoder_candidates(steps=(300,), **grid) -> tuple[Recipe, ...]:
    """The ``encoder`` init's candidates of a ``candidate_grid``: its one pass (0 z-steps) and
    each of ``steps``, with the grid's refinements and residuals (``grid``: the other
    ``candidate_grid`` keywords; its ``inits`` are ignored)."""
    grid.pop("inits", None)
    return candidate_grid(inits=("encoder",), steps=(0, *(s for s in steps if s)), **grid)


def _for_task(candidates, task: str) -> list[Recipe]:
    """``candidates`` with ``residual="linear"`` expanded to the task's linear baselines (none:
    dropped)."""
    out = []
    for r in candidates:
        names = residual_baselines(task) if r.residual == "linear" else (r.residual,)
        out += [dataclasses.replace(r, residual=n) for n in names]
    return list(dict.fromkeys(out))


def choose(
    trained,
    videos,
    tasks,
    candidates: tuple[Recipe, ...] | None = None,
    *,
    pixels_per_step: int | None = None,
    seed: int = 0,
    batch: int | None = None,
    encoder=None,
    context=None,
    log=print,
) -> dict:
    """Score ``candidates`` (default ``named_grid("full")``, with the ``encoder`` init's
    candidates when there is an encoder) on the validation ``videos`` f32[B, T, H, W, 3] for every
    task. ``encoder``: the ``encoder`` init's ``Encoder`` (default the model's joint one, if any).
    ``context``: a ``baselines.Context`` (its ``seconds`` and ``pixels_per_step`` are set
    here): choose by the margin over the best baseline; None: by the score.

    Returns:
      {"tasks": {task: {"metric", "criterion", "chosen": Recipe, "scores": [{"recipe", "name",
      "score", "seconds", and with a context "baseline", "baseline_score", "margin"}]}},
      "num_videos", "pixels_per_step", "seed"}.
    """
    if encoder is None:
        encoder = joint_encoder(trained)  # as run_task: the model's own, if it has one
    if candidates is None:
        candidates = named_grid("full", encoder is not None)
    videos = np.asarray(videos, np.float32)
    out = {"tasks": {}, "num_videos": len(videos), "pixels_per_step": pixels_per_step,
           "seed": seed}  # fmt: skip
    criterion = "score" if context is None else "margin"
    for task in tasks:
        scores = _score_task(trained, videos, task, candidates, pixels_per_step, seed, batch,
                             encoder, context)  # fmt: skip
        best = max(scores, key=lambda s: s[criterion])
        out["tasks"][task] = {"metric": compared_metric(task), "criterion": criterion,
                              "chosen": best["recipe"], "scores": scores}  # fmt: skip
        versus = (f", {best['margin']:+.2f} dB against {best['baseline']}"
                  if context is not None else "")  # fmt: skip
        log(f"  {task}: chose {best['name']} ({best['score']:.2f} dB{versus} on {len(videos)} "
            f"validation clips; {len(scores)} candidates)")  # fmt: skip
    return out


def _score_task(trained, videos, task, candidates, pixels_per_step, seed, batch, encoder,
                context):  # fmt: skip
    candidates = _for_task(candidates, task)
    options = get_task(task).heldout_options(videos.shape[1])
    prepared = prepare(videos, task, seed=seed, **options)
    scored = None if get_task(task).unobserved == "none" else prepared.unobserved
    key = compared_metric(task)
    shape = videos.shape[1:4]
    scores = []

    def inversion(r: Recipe):
        return r.init, r.steps, r.lr

    groups = itertools.groupby(sorted(candidates, key=inversion), key=inversion)
    for (init, steps, lr), group in groups:
        inv = invert(trained.model, trained.params, prepared.obs, learned=trained.latents,
                     steps=steps, lr=lr, init=init, seed=seed, batch=batch,
                     pixels_per_step=pixels_per_step, encoder=encoder,
                     shape=prepared.observed.shape[1:4])  # fmt: skip
        made = {}  # the recipe without residual -> (recon, seconds): its residual variants share it
        for recipe in group:
            plain = dataclasses.replace(recipe, residual="", residual_weight=1.0)
            if plain not in made:
                made[plain] = _reconstruct(trained, inv, prepared, plain, shape, batch,
                                           pixels_per_step, seed)  # fmt: skip
            recon, seconds = made[plain]
            if recipe.residual:
                whole = dataclasses.replace(recipe, residual_weight=1.0)
                if whole not in made:  # the weighted variants share the weight-1 composition
                    start = time.perf_counter()
                    full = on_baseline(recipe.residual, recon, prepared, task, seed=seed,
                                       **options)  # fmt: skip
                    base = baseline_of(recipe.residual, prepared, shape)
                    made[whole] = (full, base, seconds + time.perf_counter() - start)
                full, base, seconds = made[whole]
                recon = shrink(full, base, recipe.residual_weight)
            score = mean_metrics(video_metrics(recon, videos, scored))[key]
            scores.append({"recipe": recipe, "name": recipe.name, "score": score,
                           "seconds": seconds})  # fmt: skip
    if context is not None:
        _add_margins(scores, prepared, videos, task, context, pixels_per_step, seed, key, scored)
    return scores


def _reconstruct(trained, inv, prepared, recipe: Recipe, shape, batch, pixels_per_step, seed):
    """The reconstruction f32[B, T, H, W, 3] of ``recipe`` from the inversion ``inv`` (refined
    when the recipe refines) and the method's seconds so far."""
    if not recipe.refine_steps:
        return render(FromLatents(trained.model, trained.params, inv.latents), shape), inv.seconds
    ref = refine(trained.model, trained.params, inv.latents, prepared.obs,
                 steps=recipe.refine_steps, lr=recipe.refine_lr, part=recipe.refine_part,
                 anchor=recipe.refine_anchor, batch=batch, pixels_per_step=pixels_per_step,
                 seed=seed)  # fmt: skip
    recon = render(FromINRs(trained.model.inr_spec, ref.inr), shape)
    return recon, inv.seconds + ref.seconds


def _add_margins(scores, prepared, videos, task, context, pixels_per_step, seed, key, scored):
    """Each candidate's best baseline on the same clips (fit-single at its own seconds) and its
    margin over it, in place."""
    context = dataclasses.replace(context, pixels_per_step=pixels_per_step, seed=seed)
    names = [n for n in get_task(task).baselines if n != "fit-single"]
    fixed = {n: r.summary[key] for n, r in
             run_prepared(prepared, videos, task, context, names=names).items()}  # fmt: skip
    timed = [s["seconds"] for s in scores]
    if "fit-single" in get_task(task).baselines:
        recons = fit_single_curve(prepared.observed, prepared.weights, videos.shape[1:4], context,
                                  timed)  # fmt: skip
        fits = [mean_metrics(video_metrics(r, videos, scored))[key] for r in recons]
    else:
        fits = [None] * len(scores)
    for s, fit in zip(scores, fits, strict=True):
        options = {**fixed, **({"fit-single": fit} if fit is not None else {})}
        name = max(options, key=options.get)
        s.update(baseline=name, baseline_score=options[name], margin=s["score"] - options[name])


def save_recipes(path, choice: dict, provenance: dict | None = None) -> None:
    """Write ``choose``'s result as the recipe file ``inrv invert --recipe`` reads."""
    record = {
        "version": RECIPE_VERSION,
        "recipes": {t: dataclasses.asdict(r["chosen"]) for t, r in choice["tasks"].items()},
        "validation": {k: v for k, v in choice.items() if k != "tasks"} | (provenance or {}),
        "scores": {
            t: [{**s, "recipe": dataclasses.asdict(s["recipe"])} for s in r["scores"]]
            for t, r in choice["tasks"].items()
        },
    }
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(jsonable(record), indent=1))


def load_recipes(path) -> dict[str, Recipe]:
    """{task: Recipe} of a recipe file; a missing or malformed file is an ``InputError``."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise InputError(f"no recipe file {path}; write one with `inrv evaluate --choose`")
    try:
        record = json.loads(path.read_text())
        return {task: Recipe.from_dict(d) for task, d in record["recipes"].items()}
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
        raise InputError(
            f"{path} is not a recipe file of `inrv evaluate --choose` ({err})"
        ) from None


def recipe_for(path, task: str) -> Recipe:
    """The recipe of ``task`` in a recipe file, or an ``InputError`` naming what it has."""
    recipes = load_recipes(path)
    if task not in recipes:
        raise InputError(f"{path} has recipes for {sorted(recipes)}, not {task!r}; "
                         f"choose with `inrv evaluate --choose --tasks {task}`")  # fmt: skip
    return recipes[task]
