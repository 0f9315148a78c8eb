"""Held-out rows of trained atari workdirs under the latent-space benchmark's protocol.

    python -m benchmarks.continuity_heldout runs/cont_atari_final/nerf \
        runs/cont_atari_final/harmonics docs/continuity/atari/heldout.json

For the continuity record's models (docs/continuity/atari): the ``--heldout`` (16) first clips of
data seed 1 (unseen episodes of the training games) that share no frame with a training clip of
the first workdir, every held-out task (inversion, inpainting, prediction, frame interpolation,
temporal upsampling, sparse inpainting, super-resolution) next to its baselines, inversion 200
Adam steps of 512 pixels from the mean latent (``inrv_jax.tasks.heldout_protocol``). Writes one
JSON record (command, commit, date, machine, protocol, rows per workdir).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import time

from benchmarks import common

MODULE = "benchmarks.continuity_heldout"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workdirs", nargs="+", help="trained atari workdirs")
    p.add_argument("out", help="the JSON record to write")
    p.add_argument("--heldout", type=int, default=16, help="held-out episode clips")
    p.add_argument("--inversion-steps", type=int, default=200)
    p.add_argument("--inversion-pixels", type=int, default=512, help="observed pixels a step")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def main(argv=None) -> dict:
    from inrv_jax.tasks.heldout_protocol import heldout_rows

    args = parse_args(argv)
    out = pathlib.Path(args.out)
    settings = common.heldout_settings(args)
    first = common.load_model(args.workdirs[0])
    clips, skipped = common.unseen_from(first.settings.data, args.heldout, common.HELDOUT_DATA_SEED)
    record = {
        **common.record_header(MODULE, argv),
        "protocol": {"heldout": args.heldout, **dataclasses.asdict(settings)},
        "heldout_skipped": skipped,
        "rows": {},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    for wd in args.workdirs:
        start = time.perf_counter()
        trained = common.load_model(wd)
        record["rows"][wd] = heldout_rows(trained, {"episodes": clips}, settings, log=common.log)
        record["rows"][wd]["seconds"] = time.perf_counter() - start
        out.write_text(json.dumps(record, indent=1))
    return record


if __name__ == "__main__":
    main()
