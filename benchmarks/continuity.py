"""Continuity: renders between pixels and between frames against the truth there, per encoding.

    python -m benchmarks.continuity                 # configs/shapes.py, every variant (~8 min)
    python -m benchmarks.continuity --quick         # rehearsal: the small config, seconds
    python -m benchmarks.continuity --variants nerf,ipe_jitter --set train.steps=300
    python -m benchmarks.continuity --render docs/continuity/continuity.json   # md from the record

Protocol (written with the numbers into ``OUT/continuity.json``):

1. Data and recipe: ``--config`` (default ``configs/shapes.py``, README's default model: 8 clips
   of 8x32x32, 600 steps); every variant of ``VARIANTS`` (``--variants``) trains that recipe
   with its own overrides (plus ``--set``) for the same number of steps; each row records the
   training command's seconds (data, compilation, steps and final evaluation included).
2. Ground truth off the training grid from the data's generator
   (``inrv_jax.data.builtin.off_grid_truth``): every training clip at ``--scale`` x the height
   and width (the generator's own anti-aliasing, as the 32x32 frames were made), and at the
   T - 1 moments half-way between training frames.
3. Scores (``inrv_jax.tasks.continuity.continuity_scores``): PSNR of the training clips on the
   grid; at ``--scale`` x: INR-V rendered at the true pixel positions vs bicubic and Lanczos-3
   of the 32x32 frames; half-way moments: INR-V vs the linear blend of the neighbours and
   repeating the previous frame. The baselines see the same training frames.

Writes ``OUT/continuity.json`` (command, commit, date, machine, protocol, rows),
``OUT/continuity.md`` (the table, generated from the JSON) and ``OUT/continuity.png`` (one clip:
training frame, bicubic 4x, INR-V 4x of the first and last variant, the true 4x frame).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import sys
import time

import numpy as np

from benchmarks import common

ROOT = common.ROOT
MODULE = "benchmarks.continuity"

# name -> config overrides. The first is the official encoding; the others are the family of
# inrv_jax/encoding.py with and without off-grid supervision (train.coord_jitter). Each
# variant names every encoding key it depends on, so a recipe's own default does not leak in.
VARIANTS = {
    "nerf": ["model.inr.encoding=nerf"],
    "nerf_jitter": ["model.inr.encoding=nerf", "train.coord_jitter=(1.0,1.0,1.0)"],
    "bandlimited": ["model.inr.encoding=bandlimited"],
    "bandlimited_jitter": [
        "model.inr.encoding=bandlimited",
        "train.coord_jitter=(1.0,1.0,1.0)",
    ],
    "ipe": ["model.inr.encoding=ipe", "model.inr.max_freq=2.0"],
    "ipe_jitter": [
        "model.inr.encoding=ipe",
        "model.inr.max_freq=2.0",
        "train.coord_jitter=(1.0,1.0,1.0)",
    ],
    # Supersampled loss: 4 points inside each pixel's area, their mean against the pixel, on an
    # eighth of the pixels a step (the same rendered rows a step as the others' half).
    "bandlimited_ss4": [
        "model.inr.encoding=bandlimited",
        "train.coord_jitter=(0.0,1.0,1.0)",
        "train.supersample=4",
        "train.sample_frac=0.125",
    ],
    "bandlimited2_ss4": [
        "model.inr.encoding=bandlimited",
        "model.inr.max_freq=2.0",
        "train.coord_jitter=(0.0,1.0,1.0)",
        "train.supersample=4",
        "train.sample_frac=0.125",
    ],
    "harmonics": ["model.inr.encoding=harmonics"],
    "harmonics_tjitter": ["model.inr.encoding=harmonics", "train.coord_jitter=(1.0,0.0,0.0)"],
    "fourier_jitter": [
        "model.inr.encoding=fourier",
        "model.inr.max_freq=1.0",
        "train.coord_jitter=(1.0,1.0,1.0)",
    ],
}
COLUMNS = (
    ("on_grid", "on grid"),
    ("space/inr", "4x INR-V"),
    ("space/bicubic", "4x bicubic"),
    ("space/lanczos", "4x Lanczos"),
    ("time/inr", "half-frame INR-V"),
    ("time/blend", "half-frame blend"),
    ("time/repeat_previous", "half-frame repeat"),
)


def config_path(config: str) -> str:
    """``configs/NAME.py[:variant]`` relative to the checkout (absolute paths pass through)."""
    return config if os.path.isabs(config) else str(ROOT / config)


def truths(data, num: int, scale: int):
    """(videos, truth_up, truth_half) f32 in [-1, 1] for the first ``num`` training clips of
    ``data`` (a run's ``DataSettings``)."""
    from inrv_jax.data.builtin import off_grid_truth
    from inrv_jax.data.options import ClipOptions
    from inrv_jax.pixels import to_unit_range

    opts = ClipOptions.from_settings(data)
    t, (h, w) = int(data.frames), tuple(data.size)
    on, up, half = [], [], []
    for i in range(num):
        make = lambda size, times: off_grid_truth(data.spec, opts, i, size, times)  # noqa: E731,B023
        on.append(make((h, w), np.arange(t, dtype=np.float64)))
        up.append(make((h * scale, w * scale), np.arange(t, dtype=np.float64)))
        half.append(make((h, w), np.arange(t - 1, dtype=np.float64) + 0.5))
    return tuple(to_unit_range(np.stack(x)) for x in (on, up, half))


def run_variant(args, name: str, work: pathlib.Path) -> dict:
    from inrv_jax.checkpoint import load_trained
    from inrv_jax.config import load_config, to_settings
    from inrv_jax.data import source_from_settings
    from inrv_jax.pixels import to_unit_range
    from inrv_jax.rendering import FromLatents, render
    from inrv_jax.tasks.continuity import continuity_scores
    from inrv_jax.train.loop import train_and_evaluate

    overrides = VARIANTS[name] + list(args.set) + ["train.progress=false"]
    settings = to_settings(load_config(config_path(args.config), overrides))
    workdir = work / name
    shutil.rmtree(workdir, ignore_errors=True)  # always a fresh run (an old one would resume)
    start = time.perf_counter()
    summary = train_and_evaluate(settings, workdir)
    seconds = time.perf_counter() - start
    trained = load_trained(workdir)
    source = source_from_settings(trained.settings.data)
    num = min(len(source), args.clips or len(source))
    videos, truth_up, truth_half = truths(trained.settings.data, num, args.scale)
    stored = to_unit_range(np.stack([source.load(i) for i in range(num)]))
    if not np.array_equal(stored, videos):
        raise RuntimeError(f"{name}: the generator's on-grid frames differ from the training clips")
    scores = continuity_scores(
        trained.model, trained.params, trained.latents[:num], videos, truth_up, truth_half,
        args.scale,
    )  # fmt: skip
    first = FromLatents(trained.model, trained.params, trained.latents[:1])
    pictures = np.clip(render(first, (videos.shape[1], *truth_up.shape[2:4])), -1, 1)
    np.save(workdir / "render_up_clip0.npy", pictures[0])
    return {
        "variant": name,
        "overrides": overrides[:-1],
        "train_seconds": round(seconds, 1),
        "train_psnr": summary.get("recon/psnr"),
        "train_psnr_min": summary.get("recon/psnr_min"),
        "clips": num,
        "train_clips": len(source),
        "scores": scores,
    }


def markdown(record: dict) -> str:
    """The record's table and protocol line (README and ``OUT/continuity.md`` paste this)."""
    p = record["protocol"]
    config = p["config"]
    if "configs/" in config:  # a record names its config relative to the checkout
        config = config[config.index("configs/") :]
    lines = [
        f"{common.provenance(record, load=True)}.",
        "",
        f"`{config}`: PSNR (dB) over the first {record['clips']} of its "
        f"{record['train_clips']} training clips ('all clips': the trainer's mean and worst over "
        f"all); {p['scale']}x space at the true pixel positions, half-frames at the moments "
        "half-way between training frames; every variant trains the same steps; 'train s': the "
        "whole training call (data, compilation, steps, final evaluation).",
        "",
        common.md_row(["variant", "train s", "all clips (worst)", *(c for _, c in COLUMNS)]),
        common.md_rule("lrr" + "r" * len(COLUMNS)),
    ]
    for row in record["rows"]:
        cells = [f"{row['scores'][key]:.2f}" for key, _ in COLUMNS]
        whole = f"{row['train_psnr']:.2f} ({row['train_psnr_min']:.2f})"
        lines.append(common.md_row([row["variant"], f"{row['train_seconds']:.0f}", whole, *cells]))
    return "\n".join(lines) + "\n"


def picture(record: dict, work: pathlib.Path, out: pathlib.Path, settings, scale: int) -> None:
    """Frame 3 of clip 0: the training frame (nearest), bicubic, INR-V of the first variant
    (nerf, before) and of the recipe's own encoding (after; else the last variant), the truth;
    all at ``scale`` x."""
    from PIL import Image, ImageDraw

    from inrv_jax.pixels import to_uint8
    from inrv_jax.tasks.continuity import upsample

    videos, truth_up, _ = truths(settings.data, 1, scale)
    f = min(3, videos.shape[1] - 1)
    near = np.repeat(np.repeat(videos[0, f], scale, 0), scale, 1)
    panels = [("training 32x32", near), ("bicubic", upsample(videos, scale, "bicubic")[0, f])]
    own = [r for r in record["rows"] if r["variant"] == settings.model.inr.encoding]
    for row in (record["rows"][0], (own or record["rows"])[-1]):
        render = np.load(work / row["variant"] / "render_up_clip0.npy")
        panels.append((f"INR-V {row['variant']}", render[f]))
    panels.append(("truth", truth_up[0, f]))
    h, w = panels[0][1].shape[:2]
    sheet = Image.new("RGB", (w * len(panels), h + 14), "white")
    draw = ImageDraw.Draw(sheet)
    for k, (label, img) in enumerate(panels):
        sheet.paste(Image.fromarray(to_uint8(img)), (k * w, 14))
        draw.text((k * w + 2, 1), label, fill="black")
    sheet.save(out / "continuity.png")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/shapes.py", help="relative to the checkout")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument(
        "--clips", type=int, default=0, help="training clips scored off the grid (0: all)"
    )
    parser.add_argument("--set", action="append", default=[], help="config override key=value")
    parser.add_argument("--work", default="runs/continuity")
    parser.add_argument("--out", default="docs/continuity")
    parser.add_argument("--quick", action="store_true", help="small config: a rehearsal")
    args = parser.parse_args(argv)
    if args.quick:
        args.config = args.config + ":small"
        args.work = args.work + "_quick"
        args.out = args.work + "/report"  # a rehearsal writes nothing into docs/
    args.variants = [v for v in args.variants.split(",") if v]
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {sorted(VARIANTS)}")
    return args


def render_record(path: str) -> None:
    """Rewrite ``continuity.md`` beside the record ``path`` from the record alone."""
    record = json.loads(pathlib.Path(path).read_text())
    pathlib.Path(path).with_suffix(".md").write_text(markdown(record))


def main(argv=None) -> dict:
    from inrv_jax.config import load_config, to_settings

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--render"]:  # python -m benchmarks.continuity --render OUT/continuity.json
        return render_record(argv[1])
    args = parse_args(argv)
    work, out = common.folders(args)
    record = common.new_record(MODULE, argv, args, rows=[])
    for name in args.variants:
        row = run_variant(args, name, work)
        record["rows"].append(row)
        record["clips"], record["train_clips"] = row["clips"], row["train_clips"]
        (out / "continuity.json").write_text(json.dumps(record, indent=1))
        (out / "continuity.md").write_text(markdown(record))
        print(markdown(record), flush=True)
    picture(record, work, out, to_settings(load_config(config_path(args.config))), args.scale)
    return record


if __name__ == "__main__":
    main()
