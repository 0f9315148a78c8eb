"""``inrv import-official CKPT.pth --workdir DIR``: an official INR-V PyTorch checkpoint as a
workdir every task can read, with ``inrv_jax.official.importer.import_official``."""

from __future__ import annotations

import argparse
import json
import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", help="official INR-V .pth (ckpt_*.pth or a VideoGen state dict)")
    p.add_argument("--workdir", required=True, help="run directory to write the checkpoint into")
    p.add_argument(
        "--video-shape",
        default="25,100,100",
        help="T,H,W the model was trained on (default 25,100,100, the official size)",
    )
    p.add_argument(
        "--data-list",
        default=None,
        help="official list file of the training videos (one per line, in training order); "
        "default: videos are named official:{i}",
    )
    p.add_argument(
        "--learned-latents",
        default=None,
        help="separate learned latents (official logs/NAME/learned_latents.npy)",
    )
    p.add_argument(
        "--drop-missing-latents",
        action="store_true",
        help="conditional checkpoints: import only the videos that learned_latents lists",
    )
    p.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow arbitrary pickled objects in the files (may run their code; trusted files only)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace checkpoints in --workdir")


def run(args) -> int:
    from inrv_jax.official.importer import import_official

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    summary = import_official(  # OfficialImportError: one line from inrv_jax.cli
        args.checkpoint,
        args.workdir,
        video_shape=args.video_shape,
        data_list=args.data_list,
        learned_latents_path=args.learned_latents,
        drop_missing=args.drop_missing_latents,
        trust_pickle=args.trust_pickle,
        overwrite=args.overwrite,
    )
    arch = summary["architecture"]
    print(json.dumps(summary, indent=1, default=str))
    print(
        f"imported {summary['num_videos']} videos at step {summary['step']} into "
        f"{summary['workdir']}: latent {arch['latent_dim']}, heads {arch['num_heads']} x "
        f"(hidden {arch['head_hidden']}, depth {arch['head_depth']}), INR hidden "
        f"{arch['inr_hidden']} depth {arch['inr_depth']}, {arch['num_freqs']} frequencies"
        + (
            " (conditional branch dropped; latents from learned_latents)"
            if arch["conditional"]
            else ""
        )
    )
    return 0
