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
import jax.numpy as jnp
import numpy as np

from inrv_jax import masks as masks_lib
from inrv_jax.checkpoint import load_trained
from inrv_jax.data.parsing import parse_ints
from inrv_jax.encoder import joint_encoder, load_encoder
from inrv_jax.errors import InputError
from inrv_jax.metrics.lpips import load_lpips
from inrv_jax.pictures import PICTURE_SCALE, side_by_side, upsample_nearest
from inrv_jax.tasks.inversion import Observations, invert, observe
from inrv_jax.tasks.refine import refine, render_inrs
from inrv_jax.tasks.render import render_latents
from inrv_jax.tasks.scoring import jsonable, mean_metrics, video_metrics
from inrv_jax.tasks.videos import load_videos
from inrv_jax.video_io import save_video, write_gif, write_png


@dataclasses.dataclass
class Prepared:
    """A task applied to B videos.

    Attributes:
      obs: what the inversion sees.
      observed_view: f32[B, T, H, W, 3] picture of the observations (unobserved pixels grey;
        super-resolution: the low-resolution input, nearest-upsampled).
      unobserved: bool[B, T, H, W], the pixels scored by the ``*_unobserved`` metrics.
      observed: f32[B, T, h, w, 3] the videos on the observed grid (h, w: super-resolution's
        low grid, else H, W), unobserved pixels 0: what the baselines see.
      weights: f32[B, T, h, w] observation weights on that grid (0 = unobserved).
    """

    obs: Observations
    observed_view: np.ndarray
    unobserved: np.ndarray
    observed: np.ndarray
    weights: np.ndarray


def downsample(videos: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """f32[B, T, H, W, 3] -> f32[B, T, h, w, 3], antialiased bilinear (area-like) resize."""
    b, t = videos.shape[:2]
    out = jax.image.resize(jnp.asarray(videos), (b, t, *size, 3), method="linear", antialias=True)
    return np.asarray(out, np.float32)


def prepare(videos, task: str, *, seed: int = 0, **options) -> Prepared:
    """Observations of ``videos`` f32[B, T, H, W, 3] under a task.

    Args:
      task: one of ``masks.TASKS`` ("mask" needs ``mask=`` f32[T, H, W] weights).
      seed: sparse masks use ``seed + i`` for video i (each video its own draws).
      **options: the other ``masks.TaskOptions`` (future_frames, sparse_frac, box, mask,
        low_size: (h, w) of super-resolution's observed grid, default H // 2, W // 2).
    """
    spec = masks_lib.get_task(task)
    opts = masks_lib.TaskOptions(seed=seed, **options)
    videos = np.asarray(videos, np.float32)
    b, t, h, w, _ = videos.shape
    size = (h, w) if spec.observed_size is None else tuple(spec.observed_size((h, w), opts))
    if size != (h, w):
        videos = downsample(videos, size)
    if spec.per_video:
        draws = [dataclasses.replace(opts, seed=seed + i) for i in range(b)]
        weights = np.stack([spec.mask((t, *size), o) for o in draws])
    else:
        weights = spec.mask((t, *size), opts)
    seen = np.broadcast_to(weights > 0, (b, t, *size))
    # The videos are masked before gathering too, so nothing unobserved can leak through.
    masked = np.where(seen[..., None], videos, 0.0).astype(np.float32)
    full = np.broadcast_to(weights, seen.shape)
    if spec.unobserved == "every":  # another grid: no pixel of the videos' own is observed
        return Prepared(observe(masked, weights, full_shape=(t, h, w)),
                        upsample_nearest(masked, (h, w)),
                        np.ones((b, t, h, w), bool), masked, full)  # fmt: skip
    return Prepared(observe(masked, weights), masked, ~seen, masked, full)


@dataclasses.dataclass
class TaskResult:
    """latents f32[B, D]; losses f32[steps, B]; recon f32[B, T, H, W, 3] (the videos' grid);
    metrics: per-video arrays; summary: their means; seconds: inversion wall time (the encoder
    pass included); refine_seconds: refinement's; inr: the refined INR trees (leading B) or None
    without refinement; refine_losses: f32[R, B] or None."""

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
    **task_kwargs,
) -> TaskResult:
    """Invert ``videos`` f32[B, T, H, W, 3] under ``task`` and score the reconstructions.

    ``encoder``: the ``encoder`` init's ``inrv_jax.encoder.Encoder``. ``refine_steps`` > 0:
    then fine-tune the generated INRs' ``refine_part`` (``refine.PARTS``) on the observed pixels.
    ``task_kwargs`` go to ``prepare`` (future_frames, sparse_frac, box, mask, low_size).
    """
    if init == "encoder" and encoder is None:
        encoder = joint_encoder(trained)  # a model trained with one
    if init == "encoder" and encoder is None:
        raise InputError("init 'encoder' needs a trained encoder (encoder=load_encoder(WORKDIR)); "
                         "train one with `inrv train-encoder --workdir DIR`")  # fmt: skip
    videos = np.asarray(videos, np.float32)
    prepared = prepare(videos, task, seed=seed, **task_kwargs)
    start = time.perf_counter()
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
    seconds = time.perf_counter() - start
    refined, refine_seconds = None, 0.0
    if refine_steps:
        start = time.perf_counter()
        refined = refine(trained.model, trained.params, result.latents, prepared.obs,
                         steps=refine_steps, lr=refine_lr, part=refine_part, batch=batch,
                         pixels_per_step=pixels_per_step, seed=seed)  # fmt: skip
        refine_seconds = time.perf_counter() - start
        recon = render_inrs(trained.model.inr_spec, refined.inr, videos.shape[1:4], chunk=chunk)
    else:
        recon = render_latents(trained, result.latents, videos.shape[1:4], chunk=chunk)
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
        seconds,
        refine_seconds,
        None if refined is None else refined.inr,
        None if refined is None else refined.losses,
    )


def run(args) -> int:
    tm = load_trained(args.workdir, args.step)
    videos, paths = _load_videos(args, tm.video_shape)
    task, mask = args.task, masks_lib.load_mask(args.mask, tm.video_shape) if args.mask else None
    if mask is not None:
        if task not in ("all", "mask"):
            raise InputError(f"--mask replaces the task's mask; drop --task {task} or --mask")
        task = "mask"
    encoder = None
    if args.init == "encoder":
        encoder = load_encoder(args.workdir, tm.step, tm.latents.shape[1], trained=tm)
    res = run_task(
        tm,
        videos,
        task,
        steps=args.steps,
        lr=args.lr,
        init=args.init,
        batch=args.batch,
        seed=args.seed,
        lpips=None if args.no_lpips else load_lpips("vgg16"),
        pixels_per_step=args.pixels_per_step,
        encoder=encoder,
        refine_steps=args.refine,
        refine_part=args.refine_params,
        refine_lr=args.refine_lr,
        future_frames=args.future_frames,
        sparse_frac=args.sparse_frac,
        box=parse_ints(args.box, 6, "--box"),
        mask=mask,
        low_size=parse_ints(args.low_size, 2, "--low-size"),
    )
    out = pathlib.Path(args.out)
    _write_videos(out, tm, res, videos, args)
    _write_metrics(out / "metrics.json", tm.step, res, paths, args)
    summary = ", ".join(f"{k} {v:.4g}" for k, v in res.summary.items() if v is not None)
    refined = f" + refinement {res.refine_seconds:.1f} s" if args.refine else ""
    print(f"{res.task}: {len(videos)} videos in {res.seconds:.1f} s{refined}; {summary}")
    print(f"wrote {out}/metrics.json, latents.npy, recon/*.mp4, compare.gif/png")
    return 0


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


def _write_metrics(path: pathlib.Path, step: int, res: TaskResult, paths, args) -> None:
    report = {
        "task": res.task,
        "checkpoint_step": step,
        "data": args.data,
        "settings": {
            "steps": args.steps,
            "lr": args.lr,
            "init": args.init,
            "batch": args.batch,
            "refine": args.refine,
            "refine_params": args.refine_params,
            "refine_lr": args.refine_lr,
        },
        "seconds": res.seconds,
        "refine_seconds": res.refine_seconds,
        "mean": res.summary,
        "per_video": [
            {"path": p, **{k: v[i] for k, v in res.metrics.items()}} for i, p in enumerate(paths)
        ],
    }
    path.write_text(json.dumps(jsonable(report), indent=1))
