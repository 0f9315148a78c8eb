"""``inrv train --config configs/NAME.py[:variant] --workdir DIR [--config.key=value ...]``."""

from __future__ import annotations

import argparse
import json
import logging
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, help="configs/NAME.py or configs/NAME.py:small")
    p.add_argument("--workdir", required=True, help="run directory (resumed if it has checkpoints)")
    p.add_argument("--print-config", action="store_true", help="print the resolved config and exit")


def parse_overrides(argv: list[str]) -> list[str]:
    """``--config.a.b=v`` / ``--config.a.b v`` -> ["a.b=v", ...]."""
    out, i = [], 0
    while i < len(argv):
        item = argv[i]
        if not item.startswith("--config."):
            raise SystemExit(f"inrv train: unexpected argument {item!r}")
        if "=" in item:
            out.append(item[len("--config.") :])
        elif i + 1 < len(argv):
            out.append(f"{item[len('--config.') :]}={argv[i + 1]}")
            i += 1
        else:
            raise SystemExit(f"inrv train: {item} needs a value")
        i += 1
    return out


def run(args) -> int:
    from inrv_jax.checkpoint import CheckpointError
    from inrv_jax.config import ConfigError
    from inrv_jax.data import DataError
    from inrv_jax.train.loop import DataMismatchError, NonFiniteLossError
    from inrv_jax.train.workdir import WorkdirInUseError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    user_errors = (
        ConfigError,
        DataError,
        DataMismatchError,
        NonFiniteLossError,
        WorkdirInUseError,
        CheckpointError,
    )
    try:
        return _run(args)
    except user_errors as e:  # the message names the input and the fix; no traceback
        print(f"inrv train: error: {e}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from inrv_jax.config import load_config
    from inrv_jax.train.loop import train_and_evaluate
    from inrv_jax.train.progressive import train_progressive

    config = load_config(args.config, parse_overrides(getattr(args, "overrides", [])))
    if args.print_config:
        print(config)
        return 0
    run_fn = train_progressive if config.train.stages else train_and_evaluate
    final = run_fn(config, args.workdir)
    if "stopped_at" in final:
        print(f"stopped at step {final['stopped_at']}; run the same command again to resume")
        return 0
    print(json.dumps({k: round(v, 4) for k, v in final.items()}, indent=1))
    print(
        f"reconstruction PSNR over the training videos: {final['recon/psnr']:.2f} dB "
        f"(min {final['recon/psnr_min']:.2f}); outputs in {args.workdir}/samples"
    )
    return 0
