"""Pictures people learn from, drawn from the benchmark records and the model they measured.

    python -m benchmarks.figures --workdir runs/latent_space/N512 --out docs/figures

1. Held-out clips (``heldout_clip_figures``): one clip of the unseen-episode test set of
   ``docs/latent_space/latent_space.json`` as rows target / INR-V / the task's best baseline,
   columns = frames, the pixels the task hid marked on the target, for inpainting (where INR-V
   beats every baseline on the 16 clips) and future prediction (where repeat-last wins). The
   clips, the inversion settings and each task's method (chosen on validation clips) are the
   record's own; the clip shown is a typical one of the set's verdict (``typical_clip``), neither
   the best nor the worst case. Writes
   ``OUT/heldout_inpainting.png``, ``OUT/heldout_prediction.png`` and ``OUT/figures.json``
   (command, commit, date, machine, protocol, the PSNRs shown, and the 16-clip means next to the
   record's as a check that the protocol was reproduced).
2. Held-out PSNR against N (``heldout_psnr_figures``): the record's INR-V and best baseline per
   task, one figure per held-out set, ``heldout_episodes.png`` and ``heldout_games.png`` next to
   the record (``--plots-out``).
"""

from __future__ import annotations

import argparse
import json
import pathlib

import numpy as np

from benchmarks.common import record_header
from inrv_jax.pictures import caption_image, mark_hidden, upsample_nearest

CLIP_TASKS = ("inpainting", "prediction")
HELDOUT_SET = "episodes"  # unseen episodes: the set where INR-V wins a task
SET_TITLES = {"episodes": "unseen episodes", "games": "unseen games"}
HIDDEN = {"inpainting": "the bottom half of every frame", "prediction": "the last 4 frames"}
PAD = 2  # white pixels between frames, as video_io.tile_grid


# --------------------------------------------------------------------------- 1. held-out clips
def record_clips(trained, record: dict) -> tuple[np.ndarray, list[int]]:
    """The record's unseen-episode test clips f32[K, T, H, W, 3] and their candidate indices.

    ``benchmarks/latent_space.py`` took the first K clips of data seed 1 (the training seed + 1,
    as ``heldout_videos`` does) that share no frame with a training clip, and recorded the
    candidates it skipped; the same candidates are dropped here.
    """
    from inrv_jax.tasks.videos import heldout_videos

    p = record["protocol"]
    data = trained.settings.data
    expected = (p["frames"], p["size"], p["size"])
    if tuple(trained.video_shape) != expected:
        raise SystemExit(f"the model's clips are {trained.video_shape}; the record's {expected}")
    if p["split_seeds"]["test"][0] != int(data.seed) + 1 or str(data.spec) != "atari":
        raise SystemExit("the record's unseen episodes are not atari data seed (training + 1)")
    if str(data.builtin.get("holdout_games")) != p["holdout_games"]:
        raise SystemExit(f"the model held out {data.builtin.get('holdout_games')}, the record "
                         f"{p['holdout_games']}")  # fmt: skip
    skipped = set(record["heldout_skipped"][HELDOUT_SET])
    k = int(p["heldout"])
    candidates, _ = heldout_videos(trained, k + len(skipped))
    kept = [i for i in range(len(candidates)) if i not in skipped][:k]
    return candidates[kept], kept


def run_clip_task(trained, videos: np.ndarray, task: str, run: dict, protocol: dict) -> dict:
    """The record's method for ``task`` on ``videos`` and the task's best baseline (by the
    record's 16-clip means) on the same observations: reconstructions, hidden pixels, per-clip
    PSNR on them."""
    import dataclasses

    from inrv_jax.masks import get_task
    from inrv_jax.tasks.baselines import run_prepared
    from inrv_jax.tasks.choose import Recipe
    from inrv_jax.tasks.evaluate import baseline_context
    from inrv_jax.tasks.invert import run_task

    chosen = run["chosen"][HELDOUT_SET][task]
    recipe = Recipe.from_dict(chosen["recipe"])
    seed, pixels = int(protocol["seed"]), int(protocol["inversion_pixels"])
    options = get_task(task).heldout_options(videos.shape[1])
    res = run_task(trained, videos, task, seed=seed, pixels_per_step=pixels, **recipe.kwargs(),
                   **options)  # fmt: skip
    recorded = run["heldout"][HELDOUT_SET][task]
    name, recorded_base = max(
        ((n, b["mean"]["psnr_unobserved"]) for n, b in recorded["baselines"].items()),
        key=lambda x: x[1],
    )
    context = dataclasses.replace(
        baseline_context(trained, [task], seed),
        seconds=res.method_seconds,
        pixels_per_step=pixels,
    )
    base = run_prepared(res.prepared, videos, task, context, names=[name])[name]
    return {
        "method": recipe.name,
        "recipe": recipe.kwargs(),
        "baseline": name,
        "hidden": np.asarray(res.prepared.unobserved, bool),  # [K, T, H, W]
        "inrv": np.asarray(res.recon),
        "base": np.asarray(base.recon),
        "inrv_psnr": np.asarray(res.metrics["psnr_unobserved"], np.float64),
        "base_psnr": np.asarray(base.metrics["psnr_unobserved"], np.float64),
        "recorded": {"inrv": recorded["mean"]["psnr_unobserved"], "baseline": recorded_base},
    }


def typical_clip(margins: np.ndarray) -> int:
    """A typical clip of the set's verdict: among the clips where the side that wins on the
    mean PSNR also wins (margin > 0 when INR-V's mean is higher, < 0 otherwise), the one of
    median margin (rank k // 2 of the k, ascending). A median over all clips can be a tie that
    shows neither side (prediction: INR-V wins 8 of 16 clips, repeat-last the mean)."""
    side = np.flatnonzero(margins > 0 if margins.mean() > 0 else margins < 0)
    return int(side[np.argsort(margins[side], kind="stable")[len(side) // 2]])


def _strip(text: str, width: int, size: int) -> np.ndarray:
    return caption_image([text], [width], font_size=size)


def clip_figure(
    target: np.ndarray,
    rows: list[tuple[str, np.ndarray]],
    hidden: np.ndarray,
    title: str,
    legend: str,
    scale: int = 3,
) -> np.ndarray:
    """One clip as a picture u8[H, W, 3]: a title, frame numbers, then the target with its
    hidden pixels marked (``mark_hidden``) and each (caption, video) of ``rows`` below it,
    frames left to right, nearest-upsampled ``scale`` times; ``legend`` at the bottom.

    Args:
      target: f32[T, h, w, 3] in [-1, 1].
      rows: (caption, f32[T, h, w, 3] in [-1, 1]) per reconstruction; the target's caption is
        the first entry.
      hidden: bool[T, h, w], the pixels the task hid.
    """
    from inrv_jax.pixels import to_uint8
    from inrv_jax.video_io import tile_grid

    t, h, w = hidden.shape
    size = (h * scale, w * scale)
    width = t * (size[1] + PAD) - PAD

    def band(video: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        u8 = upsample_nearest(to_uint8(np.clip(video, -1, 1)), size)  # [T, H, W, 3]
        if mask is not None:
            mask = upsample_nearest(mask[..., None], size)[..., 0]
            u8 = mark_hidden(u8, mask, alpha=0.2, outline=scale)  # border: one data pixel wide
        return tile_grid(u8[None, :, None], PAD)[0]  # one row, a frame per column

    gap = np.full((PAD * 3, width, 3), 255, np.uint8)
    parts = [
        _strip(title, width, 16),
        caption_image(
            [f"frame {i}" + (" (hidden)" if hidden[i].all() else "") for i in range(t)],
            [size[1]] * t,
            PAD,
            font_size=13,
        ),
    ]
    (target_caption, _), *others = rows
    parts += [_strip(target_caption, width, 14), band(target, hidden), gap]
    for text, video in others:
        parts += [_strip(text, width, 14), band(video, None), gap]
    parts.append(_strip(legend, width, 12))
    return np.concatenate(parts, axis=0)


def task_picture(videos: np.ndarray, r: dict, task: str, i: int, n: int, scale: int):
    """Clip ``i`` of ``run_clip_task``'s result ``r`` as a picture (``clip_figure``) and what it
    shows (PSNRs of the clip, per clip and of the set). Returns (u8[H, W, 3], dict)."""
    margins = r["inrv_psnr"] - r["base_psnr"]
    inrv, base = float(r["inrv_psnr"][i]), float(r["base_psnr"][i])
    verdict = "INR-V wins" if inrv > base else f"{r['baseline']} wins"
    title = (
        f"{task.capitalize()} of a held-out Atari clip from an unseen episode (test clip "
        f"{i} of {len(videos)}; INR-V trained on N = {n} clips): {verdict} on this clip by "
        f"{abs(inrv - base):.2f} dB"
    )
    legend = (
        f"Green tint and outline: the pixels hidden from both methods ({HIDDEN[task]}); "
        "PSNR over those pixels only; each method shown as it reconstructs the whole clip. "
        f"Mean over the {len(videos)} test clips: INR-V {r['inrv_psnr'].mean():.2f} dB, "
        f"{r['baseline']} {r['base_psnr'].mean():.2f} dB; INR-V ahead on "
        f"{int((margins > 0).sum())} of {len(videos)} clips."
    )
    rows = [
        ("target (the held-out clip; hidden pixels marked)", None),
        (f"INR-V, {r['method']}: {inrv:.2f} dB on the hidden pixels", r["inrv"][i]),
        (f"best baseline, {r['baseline']}: {base:.2f} dB on the hidden pixels", r["base"][i]),
    ]
    shown = {
        "clip": i,
        "method": r["method"],
        "recipe": r["recipe"],
        "baseline": r["baseline"],
        "hidden": HIDDEN[task],
        "psnr_hidden": {"inrv": inrv, "baseline": base, "margin": inrv - base},
        "per_clip_psnr_hidden": {
            "inrv": r["inrv_psnr"].tolist(),
            "baseline": r["base_psnr"].tolist(),
        },
        "set_mean_psnr_hidden": {
            "inrv": float(r["inrv_psnr"].mean()),
            "baseline": float(r["base_psnr"].mean()),
        },
        "record_mean_psnr_hidden": r["recorded"],
    }
    return clip_figure(videos[i], rows, r["hidden"][i], title, legend, scale), shown


def heldout_clip_figures(
    workdir: pathlib.Path,
    record: dict,
    out: pathlib.Path,
    *,
    scale: int = 3,
    clip: int | None = None,
    log=print,
) -> dict:
    """Draw ``OUT/heldout_{task}.png`` for each of ``CLIP_TASKS`` (module doc, 1.) and return
    what they show: {task: {clip, method, baseline, PSNRs of the clip and of the set}}."""
    from inrv_jax.checkpoint import load_trained
    from inrv_jax.video_io import write_png

    trained = load_trained(workdir)
    n = int(trained.latents.shape[0])
    run = next((r for r in record["runs"] if r["num_videos"] == n), None)
    if run is None:
        raise SystemExit(f"the record has no run of N = {n} (the model in {workdir})")
    videos, kept = record_clips(trained, record)
    log(f"{len(videos)} unseen-episode clips (data seed {record['protocol']['split_seeds']['test'][0]}"
        f" candidates {kept})")  # fmt: skip
    shown = {}
    for task in CLIP_TASKS:
        r = run_clip_task(trained, videos, task, run, record["protocol"])
        i = typical_clip(r["inrv_psnr"] - r["base_psnr"]) if clip is None else clip
        picture, shown[task] = task_picture(videos, r, task, i, n, scale)
        path = out / f"heldout_{task}.png"
        write_png(path, picture)
        shown[task] = {"picture": str(path), "candidate_index": kept[i], **shown[task]}
        shown[task]["clip_rule"] = "--clip" if clip is not None else "typical_clip"
        log(f"{task}: clip {i}, INR-V {shown[task]['psnr_hidden']['inrv']:.2f} dB, "
            f"{r['baseline']} {shown[task]['psnr_hidden']['baseline']:.2f} dB -> {path}")  # fmt: skip
    return {"checkpoint_step": int(trained.step), "num_videos": n, "candidates": kept,
            "tasks": shown}  # fmt: skip


# ----------------------------------------------------------------- 2. held-out PSNR against N
def best_baseline(results: list[dict]) -> str:
    """The baseline with the best score at the largest N (the last result) of one task."""
    last = results[-1]
    key = _score_key(last["mean"])
    return max(last["baselines"], key=lambda name: last["baselines"][name]["mean"][key])


def _score_key(mean: dict) -> str:
    return "psnr_unobserved" if mean.get("psnr_unobserved") is not None else "psnr"


def heldout_psnr_figures(record: dict, out: pathlib.Path) -> list[pathlib.Path]:
    """INR-V and each task's best baseline against the training clips N, from a
    ``latent_space.json`` record: ``OUT/heldout_episodes.png`` and ``OUT/heldout_games.png``,
    one panel per task (2 x 2 for up to 4 tasks), ~800 px wide with text readable at that
    width. Returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = record["runs"]
    sizes = [r["num_videos"] for r in runs]
    paths = []
    for split, title in SET_TITLES.items():
        tasks = list(runs[0]["heldout"][split])
        cols = min(len(tasks), 2)
        rows = -(-len(tasks) // cols)
        with plt.rc_context({"font.size": 12, "axes.titlesize": 13, "legend.fontsize": 11}):
            fig, axes = plt.subplots(rows, cols, figsize=(8, 3.1 * rows + 0.5), squeeze=False)
            for ax, task in zip(axes.flat, tasks, strict=False):
                res = [r["heldout"][split][task] for r in runs]
                key = _score_key(res[0]["mean"])
                name = best_baseline(res)
                inrv = [x["mean"][key] for x in res]
                base = [x["baselines"][name]["mean"][key] for x in res]
                ax.plot(sizes, inrv, "o-", color="black", lw=2, label="INR-V")
                ax.plot(sizes, base, "s--", color="tab:orange", lw=2, label=name)
                for j, x in enumerate(sizes):  # the higher value labelled above, the other below
                    for y, other, colour in ((inrv[j], base[j], "black"),
                                             (base[j], inrv[j], "tab:orange")):  # fmt: skip
                        up = y >= other
                        ax.annotate(f"{y:.1f}", (x, y), textcoords="offset points",
                                    xytext=(0, 7 if up else -7), ha="center",
                                    va="bottom" if up else "top", color=colour)  # fmt: skip
                ax.set_xscale("log", base=2)
                ax.set_xticks(sizes, [str(n) for n in sizes])
                ax.minorticks_off()
                ax.set_xlim(sizes[0] / 1.6, sizes[-1] * 1.6)
                # room above the lines for the legend, and for the values either side of them
                lo, hi = min(inrv + base), max(inrv + base)
                span = max(hi - lo, 1.0)
                ax.set_ylim(lo - 0.35 * span, hi + 0.8 * span)
                pixels = "hidden pixels" if key == "psnr_unobserved" else "all pixels"
                ax.set_title(f"{task} ({pixels})")
                ax.grid(alpha=0.3)
                ax.legend(loc="upper center", ncol=2, frameon=False, handlelength=2.5)
            for ax in axes.flat[len(tasks) :]:
                ax.set_visible(False)
            for ax in axes[-1]:
                ax.set_xlabel("training clips N")
            for ax in axes[:, 0]:
                ax.set_ylabel("PSNR (dB)")
            fig.suptitle(f"Held-out {title}: INR-V vs the best baseline", fontsize=14)
            fig.tight_layout()
            path = out / f"heldout_{split}.png"
            fig.savefig(path, dpi=100)
            plt.close(fig)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="runs/latent_space/N512", help="the trained model")
    parser.add_argument("--record", default="docs/latent_space/latent_space.json")
    parser.add_argument("--out", default="docs/figures", help="clip pictures + figures.json")
    parser.add_argument(
        "--plots-out", default=None, help="held-out PSNR figures (default: the record's folder)"
    )
    parser.add_argument("--scale", type=int, default=3, help="nearest upsampling of the frames")
    parser.add_argument(
        "--clip", type=int, default=None, help="test clip to show (default: typical_clip)"
    )
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    record_path = pathlib.Path(args.record)
    record = json.loads(record_path.read_text())
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plots = heldout_psnr_figures(record, pathlib.Path(args.plots_out or record_path.parent))
    print("wrote " + ", ".join(map(str, plots)))
    figures = {
        **record_header("benchmarks.figures", argv),
        "protocol": {
            "record": str(record_path),
            "record_commit": record["commit"],
            "workdir": args.workdir,
            "heldout_set": HELDOUT_SET,
            "tasks": list(CLIP_TASKS),
            "seed": record["protocol"]["seed"],
            "inversion_pixels": record["protocol"]["inversion_pixels"],
            "data_seed": record["protocol"]["split_seeds"]["test"][0],
            "scale": args.scale,
            "clip_rule": "margin = INR-V minus baseline PSNR on the hidden pixels; among the "
            "clips where the side that wins on the mean wins, the one of median margin (rank "
            "k // 2 of k, ascending)",
        },
        "plots": [str(p) for p in plots],
    }
    figures["clips"] = heldout_clip_figures(
        pathlib.Path(args.workdir), record, out, scale=args.scale, clip=args.clip
    )
    (out / "figures.json").write_text(json.dumps(figures, indent=1) + "\n")
    print(f"wrote {out}/heldout_inpainting.png, heldout_prediction.png, figures.json")
    return figures


if __name__ == "__main__":
    main()
