"""Inversion tasks of unseen videos: plain inversion, inpainting, prediction, frame interpolation,
temporal upsampling, sparse, box/region and user masks, super-resolution.

Python API::

    tm = load_trained(workdir)
    result = run_task(tm, videos, "inpainting", steps=300)   # videos f32[B, T, H, W, 3]
    result.recon, result.metrics, result.summary

CLI: ``inrv invert --workdir DIR --data SPEC --task NAME [--steps N --batch B --init I]
[--refine R --refine-params all|last|biases] --out DIR`` writes ``metrics.json`` (per-video and mean PSNR/SSIM/LPIPS over all and unobserved pixels),
``latents.npy``, ``recon/NNNN.mp4`` (and ``.npy`` with ``--save-npy``) and ``compare.gif/png``
(rows: videos; columns: target, what was observed, reconstruction rendered at 4x).

``--init encoder`` starts from the workdir's trained encoder (``inrv train-encoder``); with
``--steps 0`` that one pass is the answer. ``--refine R`` then fine-tunes the INR parameters the
hypernetwork produced, R Adam steps on the observed pixels (``inrv_jax.tasks.refine``), and the
reconstruction is rendered from the refined INRs.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import time

import jax
import numpy as np

from inrv_jax import masks as masks_lib
from inrv_jax.checkpoint import load_trained
from inrv_jax.data.parsing import parse_ints
from inrv_jax.encoder import joint_encoder, load_encoder
from inrv_jax.errors import InputError
from inrv_jax.metrics.lpips import load_lpips
from inrv_jax.pictures import PICTURE_SCALE, side_by_side
from inrv_jax.tasks.choose import recipe_for
from inrv_jax.tasks.inversion import invert
from inrv_jax.tasks.prepare import Prepared, downsample, prepare
from inrv_jax.tasks.refine import refine, render_inrs
from inrv_jax.tasks.render import render_latents
from inrv_jax.tasks.residual import check_residual, on_baseline
from inrv_jax.tasks.scoring import jsonable, mean_metrics, video_metrics
from inrv_jax.tasks.videos import load_videos
from inrv_jax.video_io import save_video, write_gif, write_png

# prepare lives below the baselines and the choice of methods; importable from here as before.
__all__ = ["Prepared", "TaskResult", "downsample", "prepare", "run", "run_task"]


@dataclasses.dataclass
class TaskResult:
    """latents f32[B, D]; losses f32[steps, B]; recon f32[B, T, H, W, 3] (the videos' grid);
    metrics: per-video arrays; summary: their means; seconds: inversion time without
    compilation (the encoder pass included); refine_seconds: refinement's, also without;
    compile_seconds: both their compilations; inr: the refined INR trees (leading B) or None
    without refinement; refine_losses: f32[R, B] or None; residual_seconds: the residual
    composition's (``tasks.residual``; recon is the composed video, the INRs are not)."""

    task: str
    latents: np.ndarray
    losses: np.ndarray
    recon: np.ndarray
    prepared: Prepared
    metrics: dict
    summary: dict
    seconds: float
    refine_seconds: float = 0.0
    inr: object = None
    refine_losses: np.ndarray | None = None
    compile_seconds: float = 0.0
    residual_seconds: float = 0.0

    @property
    def method_seconds(self) -> float:
        """What the method took without compilation: inversion + refinement + residual."""
        return self.seconds + self.refine_seconds + self.residual_seconds


def run_task(
    trained,
    videos,
    task: str,
    *,
    steps: int = 300,
    lr: float = 1e-2,
    init: str = "mean",
    batch: int | None = None,
    seed: int = 0,
    lpips=None,
    chunk: int = 1 << 14,
    pixels_per_step: int | None = None,
    encoder=None,
    refine_steps: int = 0,
    refine_part: str = "all",
    refine_lr: float = 1e-4,
    refine_anchor: float = 0.0,
    residual: str = "",
    **task_kwargs,
) -> TaskResult:
    """Invert ``videos`` f32[B, T, H, W, 3] under ``task`` and score the reconstructions.

    ``encoder``: the ``encoder`` init's ``inrv_jax.encoder.Encoder``. ``refine_steps`` > 0:
    then fine-tune the generated INRs' ``refine_part`` (``refine.PARTS``) on the observed pixels,
    pulled towards the generated INRs with weight ``refine_anchor``. ``residual``: a linear
    baseline of the task (``tasks.residual``): the result is that baseline on the observations
    plus INR-V's departure from it ('' = INR-V's reconstruction as it is).
    ``task_kwargs`` go to ``prepare`` (future_frames, sparse_frac, box, mask, low_size).
    """
    if init == "encoder" and encoder is None:
        encoder = joint_encoder(trained)  # a model trained with one
    if init == "encoder" and encoder is None:
        raise InputError("init 'encoder' needs a trained encoder (encoder=load_encoder(WORKDIR)); "
                         "train one with `inrv train-encoder --workdir DIR`")  # fmt: skip
    check_residual(residual, task)
    videos = np.asarray(videos, np.float32)
    prepared = prepare(videos, task, seed=seed, **task_kwargs)
    result = invert(
        trained.model,
        trained.params,
        prepared.obs,
        learned=trained.latents,
        steps=steps,
        lr=lr,
        init=init,
        seed=seed,
        batch=batch,
        pixels_per_step=pixels_per_step,
        encoder=encoder,
        shape=prepared.observed.shape[1:4],
    )
    refined = None
    if refine_steps:
        refined = refine(trained.model, trained.params, result.latents, prepared.obs,
                         steps=refine_steps, lr=refine_lr, part=refine_part, batch=batch,
                         anchor=refine_anchor, pixels_per_step=pixels_per_step,
                         seed=seed)  # fmt: skip
        recon = render_inrs(trained.model.inr_spec, refined.inr, videos.shape[1:4], chunk=chunk)
    else:
        recon = render_latents(trained, result.latents, videos.shape[1:4], chunk=chunk)
    residual_seconds = 0.0
    if residual:
        start = time.perf_counter()
        recon = on_baseline(residual, recon, prepared, task, seed=seed, **task_kwargs)
        residual_seconds = time.perf_counter() - start
    scored = None if masks_lib.get_task(task).unobserved == "none" else prepared.unobserved
    metrics = video_metrics(recon, videos, scored, lpips)
    return TaskResult(
        task,
        result.latents,
        result.losses,
        recon,
        prepared,
        metrics,
        mean_metrics(metrics),
        result.seconds,
        0.0 if refined is None else refined.seconds,
        None if refined is None else refined.inr,
        None if refined is None else refined.losses,
        result.compile_seconds + (0.0 if refined is None else refined.compile_seconds),
        residual_seconds,
    )


def run(args) -> int:
    tm = load_trained(args.workdir, args.step)
    videos, paths = _load_videos(args, tm.video_shape)
    task, mask = args.task, masks_lib.load_mask(args.mask, tm.video_shape) if args.mask else None
    if mask is not None:
        if task not in ("all", "mask"):
            raise InputError(f"--mask replaces the task's mask; drop --task {task} or --mask")
        task = "mask"
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
    _write_videos(out, tm, res, videos, args)
    _write_metrics(out / "metrics.json", tm.step, res, paths, args, method)
    summary = ", ".join(f"{k} {v:.4g}" for k, v in res.summary.items() if v is not None)
    refined = f" + refinement {res.refine_seconds:.1f} s" if method["refine_steps"] else ""
    print(f"{res.task}: {len(videos)} videos in {res.seconds:.1f} s{refined}; {summary}")
    print(f"wrote {out}/metrics.json, latents.npy, recon/*.mp4, compare.gif/png")
    return 0


def _method(args, task: str) -> dict:
    """``run_task``'s method keywords: the flags, or the task's recipe (``--recipe FILE``;
    ``--init auto``: WORKDIR/recipe.json of ``inrv evaluate --choose``)."""
    path = args.recipe or (pathlib.Path(args.workdir) / "recipe.json" if args.init == "auto"
                           else None)  # fmt: skip
    if path is not None:
        recipe = recipe_for(path, task)
        print(f"method of {path}: {recipe.name}")
        return recipe.kwargs()
    return {"init": args.init, "steps": args.steps, "lr": args.lr, "refine_steps": args.refine,
            "refine_part": args.refine_params, "refine_lr": args.refine_lr,
            "refine_anchor": args.refine_anchor, "residual": args.residual}  # fmt: skip


def _load_videos(args, shape):
    """The videos --data, --indices or --first/--num name: (f32[B, T, H, W, 3], B paths)."""
    indices = parse_ints(args.indices, name="--indices")
    if indices is None and args.num is not None:
        indices = tuple(range(args.first or 0, (args.first or 0) + args.num))
    return load_videos(
        args.data, shape, indices=indices, data_dir=args.data_dir, seed=args.data_seed
    )


def _write_videos(out: pathlib.Path, trained, res: TaskResult, videos, args) -> None:
    """latents.npy, recon/NNNN.mp4 (+ .npy; + the --render-frames/--render-size rendering) and
    compare.gif/png (rows: videos; columns: target and what was observed, both upsampled
    nearest, and the reconstruction rendered at ``PICTURE_SCALE`` times the size)."""
    (out / "recon").mkdir(parents=True, exist_ok=True)
    np.save(out / "latents.npy", res.latents)
    suffixes = (".mp4", ".npy") if args.save_npy else (".mp4",)
    for i, video in enumerate(res.recon):
        for suffix in suffixes:
            save_video(out / "recon" / f"{i:04d}{suffix}", video)
    if args.render_frames or args.render_size:
        t = args.render_frames or trained.video_shape[0]
        hw = parse_ints(args.render_size, 2, "--render-size") or trained.video_shape[1:]
        for i, video in enumerate(_render(trained, res, (t, *hw))):
            for suffix in suffixes:
                save_video(out / "recon" / f"{i:04d}_{t}x{hw[0]}x{hw[1]}{suffix}", video)
    rows, scale = slice(0, 8), PICTURE_SCALE
    t, h, w = res.recon.shape[1:4]
    render = _render(trained, res, (t, h * scale, w * scale), rows)
    frames = side_by_side([("target", videos[rows]), ("observed", res.prepared.observed_view[rows]),
                           (f"reconstruction {scale}x", render)])  # fmt: skip
    write_gif(out / "compare.gif", frames)
    write_png(out / "compare.png", np.concatenate(list(frames), axis=1))


def _render(trained, res: TaskResult, shape, rows=slice(None)) -> np.ndarray:
    """The reconstructions of videos ``rows`` on another (T, H, W) grid (refined INRs if any)."""
    if res.inr is None:
        return render_latents(trained, res.latents[rows], shape)
    return render_inrs(trained.model.inr_spec, jax.tree.map(lambda a: a[rows], res.inr), shape)


def _write_metrics(path: pathlib.Path, step: int, res: TaskResult, paths, args, method) -> None:
    report = {
        "task": res.task,
        "checkpoint_step": step,
        "data": args.data,
        "settings": {
            **method,
            "batch": args.batch,
            "pixels_per_step": args.pixels_per_step,
            "recipe": args.recipe or ("auto" if args.init == "auto" else None),
        },  # fmt: skip
        "seconds": res.seconds,
        "refine_seconds": res.refine_seconds,
        "compile_seconds": res.compile_seconds,
        "mean": res.summary,
        "per_video": [
            {"path": p, **{k: v[i] for k, v in res.metrics.items()}} for i, p in enumerate(paths)
        ],
    }
    path.write_text(json.dumps(jsonable(report), indent=1))
