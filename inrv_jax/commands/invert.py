"""``inrv invert``: invert (masked) videos into the latent space with
``inrv_jax.tasks.invert.run_task``, and write ``OUT/metrics.json``, ``latents.npy``,
``recon/NNNN.mp4`` (and ``.npy`` with ``--save-npy``) and ``compare.gif/png``."""

from __future__ import annotations

import argparse
import json
import pathlib

from inrv_jax import masks
from inrv_jax.commands.arguments import INITS, add_checkpoint_arguments, positive_int
from inrv_jax.data.parsing import parse_ints
from inrv_jax.errors import InputError

# Named when an inversion does not fit in memory (inrv_jax.cli).
MEMORY_KNOBS = ("--batch", "--pixels-per-step", "a smaller --render-size")
REFINE_PARTS = ("all", "last", "biases")  # inrv_jax.tasks.refine.PARTS


def non_negative_int(text: str) -> int:
    """argparse type of --steps (0: no optimisation) and --refine."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_checkpoint_arguments(p)
    _add_data_arguments(p)
    _add_method_arguments(p)
    _add_refinement_arguments(p)
    _add_output_arguments(p)


def _add_data_arguments(p: argparse.ArgumentParser) -> None:
    """The videos and what the task observes of them."""
    p.add_argument("--data", required=True, help="data spec of the videos to invert")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--data-seed", type=int, default=0, help="seed of built-in data")
    p.add_argument("--indices", default=None, help="e.g. 0,1,2 (default: every video)")
    p.add_argument("--first", type=int, default=None, help="with --num: videos FIRST..FIRST+NUM-1")
    p.add_argument("--num", type=int, default=None)
    p.add_argument("--task", default="all", choices=tuple(masks.TASKS))
    p.add_argument("--mask", default=None, help="user mask .npy ([T,H,W] bool or flat indices)")
    p.add_argument("--future-frames", type=int, default=masks.DEFAULT_FUTURE_FRAMES)
    p.add_argument("--sparse-frac", type=float, default=masks.DEFAULT_SPARSE_FRAC)
    p.add_argument("--box", default=None, help="hidden box t0,t1,y0,y1,x0,x1 (task box)")
    p.add_argument("--low-size", default=None, help="h,w observed by super-resolution")


def _add_method_arguments(p: argparse.ArgumentParser) -> None:
    """The inversion: init, steps, lr, batch and the recipe that can set them."""
    p.add_argument(
        "--steps", type=non_negative_int, default=300, help="Adam steps on z (0: the init only)"
    )
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument(
        "--init",
        default="mean",
        choices=(*INITS, "auto"),
        help="auto: the method `inrv evaluate --choose` picked on validation clips "
        "(WORKDIR/recipe.json)",
    )
    p.add_argument(
        "--recipe",
        default=None,
        help="recipe file of `inrv evaluate --choose`: init, steps, lr and refinement of the task",
    )
    p.add_argument("--batch", type=positive_int, default=16, help="videos inverted at once")
    p.add_argument("--pixels-per-step", type=positive_int, default=None)
    p.add_argument("--seed", type=int, default=0)


def _add_refinement_arguments(p: argparse.ArgumentParser) -> None:
    """What follows the inversion: refinement of the INRs and the residual on a baseline."""
    p.add_argument(
        "--refine",
        type=non_negative_int,
        default=0,
        help="then fine-tune the generated INRs this many steps on the observed pixels",
    )
    p.add_argument(
        "--refine-params", default="all", choices=REFINE_PARTS, help="what --refine moves"
    )
    p.add_argument("--refine-lr", type=float, default=1e-4)
    p.add_argument(
        "--refine-anchor",
        type=float,
        default=0.0,
        help="pull of the refined INR towards the generated one (0: none)",
    )
    p.add_argument(
        "--residual",
        default="",
        help="a linear baseline of the task (repeat-last, blend, bicubic, biharmonic, "
        "nearest-pixel): that baseline on the observations plus INR-V's departure from it",
    )
    p.add_argument(
        "--residual-weight",
        type=float,
        default=1.0,
        help="with --residual: the share of INR-V's departure from the baseline kept, in (0, 1]",
    )


def _add_output_arguments(p: argparse.ArgumentParser) -> None:
    """What is written: renders at other sizes, metrics, raw videos."""
    p.add_argument("--render-frames", type=int, default=None, help="also render T' frames")
    p.add_argument("--render-size", default=None, help="also render at H',W'")
    p.add_argument("--no-lpips", action="store_true", help="skip LPIPS (faster)")
    p.add_argument("--save-npy", action="store_true", help="also write raw float32 .npy videos")
    p.add_argument("--out", required=True, help="output directory")


def run(args) -> int:
    from inrv_jax.checkpoint import load_trained
    from inrv_jax.encoder import load_encoder
    from inrv_jax.metrics.lpips import load_lpips
    from inrv_jax.tasks.invert import run_task

    tm = load_trained(args.workdir, args.step)
    videos, paths = _load_videos(args, tm.video_shape)
    task, mask = _task_and_mask(args.task, args.mask, tm.video_shape)
    method = _method(args, task)
    encoder = None
    if method["init"] == "encoder":
        encoder = load_encoder(args.workdir, tm.step, tm.latents.shape[1], trained=tm)
    res = run_task(
        tm,
        videos,
        task,
        **method,
        batch=args.batch,
        seed=args.seed,
        lpips=None if args.no_lpips else load_lpips("vgg16"),
        pixels_per_step=args.pixels_per_step,
        encoder=encoder,
        future_frames=args.future_frames,
        sparse_frac=args.sparse_frac,
        box=parse_ints(args.box, 6, "--box"),
        mask=mask,
        low_size=parse_ints(args.low_size, 2, "--low-size"),
    )
    out = pathlib.Path(args.out)
    render_shape = _render_shape(args.render_frames, args.render_size, tm.video_shape)
    _write_videos(out, tm, res, videos, args.save_npy, render_shape)
    settings = {**method, "batch": args.batch, "pixels_per_step": args.pixels_per_step,
                "recipe": args.recipe or ("auto" if args.init == "auto" else None)}  # fmt: skip
    _write_metrics(out / "metrics.json", tm.step, res, paths, args.data, settings)
    summary = ", ".join(f"{k} {v:.4g}" for k, v in res.summary.items() if v is not None)
    refined = f" + refinement {res.refine_seconds:.1f} s" if method["refine_steps"] else ""
    print(f"{res.task}: {len(videos)} videos in {res.seconds:.1f} s{refined}; {summary}")
    print(f"wrote {out}/metrics.json, latents.npy, recon/*.mp4, compare.gif/png")
    return 0


def _task_and_mask(task: str, mask_path, shape):
    """(task, mask or None): ``--mask`` replaces the task's mask (task "mask")."""
    from inrv_jax import masks as masks_lib

    mask = masks_lib.load_mask(mask_path, shape) if mask_path else None
    if mask is not None:
        if task not in ("all", "mask"):
            raise InputError(f"--mask replaces the task's mask; drop --task {task} or --mask")
        task = "mask"
    return task, mask


def _method(args, task: str) -> dict:
    """``run_task``'s method keywords: the flags, or the task's recipe (``--recipe FILE``;
    ``--init auto``: WORKDIR/recipe.json of ``inrv evaluate --choose``)."""
    from inrv_jax.tasks.choose import recipe_for

    path = args.recipe or (pathlib.Path(args.workdir) / "recipe.json" if args.init == "auto"
                           else None)  # fmt: skip
    if path is not None:
        recipe = recipe_for(path, task)
        print(f"method of {path}: {recipe.name}")
        return recipe.kwargs()
    return {"init": args.init, "steps": args.steps, "lr": args.lr, "refine_steps": args.refine,
            "refine_part": args.refine_params, "refine_lr": args.refine_lr,
            "refine_anchor": args.refine_anchor, "residual": args.residual,
            "residual_weight": args.residual_weight}  # fmt: skip


def _load_videos(args, shape):
    """The videos --data, --indices or --first/--num name: (f32[B, T, H, W, 3], B paths)."""
    from inrv_jax.tasks.videos import load_videos

    indices = parse_ints(args.indices, name="--indices")
    if indices is None and args.num is not None:
        indices = tuple(range(args.first or 0, (args.first or 0) + args.num))
    return load_videos(
        args.data, shape, indices=indices, data_dir=args.data_dir, seed=args.data_seed
    )


def _render_shape(frames: int | None, size: str | None, video_shape):
    """(T, H, W) of the extra rendering --render-frames/--render-size ask for, or None."""
    if not (frames or size):
        return None
    t = frames or video_shape[0]
    hw = parse_ints(size, 2, "--render-size") or video_shape[1:]
    return (t, *hw)


def _write_videos(out: pathlib.Path, trained, res, videos, save_npy: bool, render_shape) -> None:
    """latents.npy, recon/NNNN.mp4 (+ .npy; + the ``render_shape`` rendering) and
    compare.gif/png (rows: videos; columns: target and what was observed, both upsampled
    nearest, and the reconstruction rendered at ``PICTURE_SCALE`` times the size)."""
    import numpy as np

    from inrv_jax.pictures import PICTURE_SCALE, side_by_side
    from inrv_jax.tasks.invert import render_result
    from inrv_jax.video_io import save_video, write_gif, write_png

    (out / "recon").mkdir(parents=True, exist_ok=True)
    np.save(out / "latents.npy", res.latents)
    suffixes = (".mp4", ".npy") if save_npy else (".mp4",)
    for i, video in enumerate(res.recon):
        for suffix in suffixes:
            save_video(out / "recon" / f"{i:04d}{suffix}", video)
    if render_shape is not None:
        t, h, w = render_shape
        for i, video in enumerate(render_result(trained, res, render_shape)):
            for suffix in suffixes:
                save_video(out / "recon" / f"{i:04d}_{t}x{h}x{w}{suffix}", video)
    rows, scale = slice(0, 8), PICTURE_SCALE
    t, h, w = res.recon.shape[1:4]
    render = render_result(trained, res, (t, h * scale, w * scale), rows)
    frames = side_by_side([("target", videos[rows]), ("observed", res.prepared.observed_view[rows]),
                           (f"reconstruction {scale}x", render)])  # fmt: skip
    write_gif(out / "compare.gif", frames)
    write_png(out / "compare.png", np.concatenate(list(frames), axis=1))


def _write_metrics(path: pathlib.Path, step: int, res, paths, data: str, settings: dict) -> None:
    from inrv_jax.tasks.scoring import jsonable

    report = {
        "task": res.task,
        "checkpoint_step": step,
        "data": data,
        "settings": settings,
        "seconds": res.seconds,
        "refine_seconds": res.refine_seconds,
        "compile_seconds": res.compile_seconds,
        "mean": res.summary,
        "per_video": [
            {"path": p, **{k: v[i] for k, v in res.metrics.items()}} for i, p in enumerate(paths)
        ],
    }
    path.write_text(json.dumps(jsonable(report), indent=1))
