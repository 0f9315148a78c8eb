"""``inrv train --config configs/NAME.py[:variant] --workdir DIR [--config.key=value ...]``."""

from __future__ import annotations

import argparse
import json
import logging

from inrv_jax.errors import InputError

# Named when a run does not fit in memory (inrv_jax.cli); each lowers peak memory.
MEMORY_KNOBS = (
    "--config.train.batch_size",
    "--config.train.sample_frac",
    "--config.train.remat=true",
    "--config.train.render_chunk",
    "--config.model.compute_dtype=bfloat16",
)


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
            raise InputError(
                f"unexpected argument {item!r}: options are --config, --workdir, --print-config "
                "and --config.KEY=VALUE overrides"
            )
        if "=" in item:
            out.append(item[len("--config.") :])
        elif i + 1 < len(argv):
            out.append(f"{item[len('--config.') :]}={argv[i + 1]}")
            i += 1
        else:
            raise InputError(f"{item} needs a value")
        i += 1
    return out


def run(args) -> int:
    """User errors (bad config, data, a live or full workdir, ...) propagate to
    ``inrv_jax.cli``, which prints them as one line."""
    from inrv_jax.config import load_config, to_config_dict, to_settings
    from inrv_jax.train.loop import train_and_evaluate
    from inrv_jax.train.progressive import train_progressive

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # absl (imported with orbax) has configured the root logger already, which makes the line
    # above a no-op; the run's own INFO lines ("resuming from step N", evals) must still show.
    logging.getLogger("inrv_jax").setLevel(logging.INFO)
    config = load_config(args.config, parse_overrides(getattr(args, "overrides", [])))
    settings = to_settings(config)
    if args.print_config:  # resolved: the derived keys (model.inr.grid) filled
        print(to_config_dict(settings))
        return 0
    run_fn = train_progressive if settings.train.stages else train_and_evaluate
    final = run_fn(settings, args.workdir)
    if "stopped_at" in final:
        print(f"stopped at step {final['stopped_at']}; run the same command again to resume")
        return 0
    print(json.dumps({k: round(v, 4) for k, v in final.items()}, indent=1))
    print(
        f"reconstruction PSNR over the training videos: {final['recon/psnr']:.2f} dB "
        f"(min {final['recon/psnr_min']:.2f}); outputs in {args.workdir}/samples"
    )
    return 0
