"""Arguments several task commands take, and argparse types of their own."""

from __future__ import annotations

import argparse

from inrv_jax.settings import (
    CHOOSE_GRIDS,
    GENERATION_MODES,
    INITS,
    INR_KINDS,
    INTERPOLATION_METHODS,
    PRIOR_KINDS,
)

# The registries' names come from inrv_jax.settings (jax-free); tests/test_settings.py checks
# that each equals the library's own registry.
__all__ = [
    "CHOOSE_GRIDS",
    "GENERATION_MODES",
    "INITS",
    "INR_KINDS",
    "INTERPOLATION_METHODS",
    "PRIOR_KINDS",
]

PRIOR_MODES = ("prior", *(f"prior:{kind}" for kind in PRIOR_KINDS))  # inrv fit-prior first


def generation_mode(value: str) -> str:
    """``--mode``: an official mode, or ``prior`` (the first kind fitted in the workdir) or
    ``prior:KIND`` (a prior fitted by ``inrv fit-prior``)."""
    if value in GENERATION_MODES or value in PRIOR_MODES:
        return value
    raise argparse.ArgumentTypeError(
        f"invalid mode {value!r}; choose one of {', '.join(GENERATION_MODES + PRIOR_MODES)}"
    )


def positive_int(text: str) -> int:
    """argparse type of counts (steps, batch sizes, videos)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def add_checkpoint_arguments(p: argparse.ArgumentParser) -> None:
    """--workdir and --step: the checkpoint a task reads."""
    p.add_argument("--workdir", required=True, help="training workdir (checkpoints/)")
    p.add_argument("--step", type=int, default=None, help="checkpoint step (default newest)")


def add_shape_arguments(p: argparse.ArgumentParser, npy: bool = True) -> None:
    """--frames and --size: a clip shape other than the training one (the INR is continuous);
    --scale: pictures at a multiple of the training size. ``npy``: the command can write .npy
    (which keeps the training size)."""
    p.add_argument("--frames", type=int, default=None, help="T (default: training frames)")
    p.add_argument("--size", default=None, help="H,W (default: training size)")
    kept = "; .npy keeps the training size" if npy else ""
    p.add_argument(
        "--scale",
        type=int,
        default=None,
        help=f"pictures at SCALE x the training H, W (default 4{kept}; not with --size)",
    )
