"""``inrv train-encoder``: a video encoder for a trained model, with ``inrv_jax.tasks.train_encoder``."""

from __future__ import annotations

import argparse

from inrv_jax.commands.arguments import add_checkpoint_arguments, positive_int

MEMORY_KNOBS = ("--batch", "--pixels")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_checkpoint_arguments(p)
    p.add_argument(
        "--steps", type=positive_int, default=2000, help="Adam steps (more, when continuing)"
    )
    p.add_argument("--batch", type=positive_int, default=32, help="clips a step")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--pixels", type=positive_int, default=1024, help="random pixels a step")
    p.add_argument(
        "--consistency",
        type=float,
        default=0.1,
        help="weight of ||E(x) - z_learned||² (in units of the latents' std)",
    )
    p.add_argument("--seed", type=int, default=0)


def run(args) -> int:
    from inrv_jax.tasks.train_encoder import Settings, train_workdir

    settings = Settings(
        steps=args.steps,
        batch=args.batch,
        lr=args.lr,
        pixels=args.pixels,
        consistency=args.consistency,
        seed=args.seed,
    )
    enc = train_workdir(args.workdir, settings, args.step)
    m = enc.meta
    how = " (continuing the model's jointly trained encoder)" if "joint" in m["training"] else ""
    print(
        f"trained the encoder{how} to step {m['steps']} in {m['seconds']:.1f} s; fixed-batch loss "
        f"{m['eval_before']['loss']:.4g} -> {m['eval_after']['loss']:.4g} (render MSE "
        f"{m['eval_after']['render']:.4g}); wrote {args.workdir}/encoder"
    )
    return 0
