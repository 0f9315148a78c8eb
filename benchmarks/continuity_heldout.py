"""Held-out rows of trained atari workdirs under the latent-space benchmark's protocol.

    python benchmarks/continuity_heldout.py runs/cont_atari_final/nerf \
        runs/cont_atari_final/harmonics docs/continuity/atari/heldout.json

For the continuity record's models (docs/continuity/atari): the ``--heldout`` (16) first clips of
data seed 1 (unseen episodes of the training games) that share no frame with a training clip of
the first workdir, every held-out task (inversion, inpainting, prediction, frame interpolation,
temporal upsampling, sparse inpainting, super-resolution) next to its baselines, inversion 200
Adam steps of 512 pixels from the mean latent (``latent_space.heldout_rows``). Writes one JSON
record (command, commit, date, machine, protocol, rows per workdir).
"""

from __future__ import annotations

import json
import os
import pathlib
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

import common  # noqa: E402  (benchmarks/common.py: the record header)
import latent_space as ls  # noqa: E402  (benchmarks/latent_space.py: the held-out protocol)


def main(argv=None) -> dict:
    from inrv_jax.checkpoint import load_trained

    argv = sys.argv[1:] if argv is None else argv
    workdirs, out = argv[:-1], pathlib.Path(argv[-1])
    args = ls.parse_args(["--sizes", "512"])
    clips, skipped = ls.heldout_episodes(args, load_trained(workdirs[0]).config)
    record = {
        **common.record_header("benchmarks/continuity_heldout.py", argv),
        "protocol": {k: v for k, v in vars(args).items() if k not in ("work", "out", "sizes")},
        "heldout_skipped": skipped,
        "rows": {},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    for wd in workdirs:
        start = time.perf_counter()
        record["rows"][wd] = ls.heldout_rows(args, pathlib.Path(wd), {"episodes": clips})
        record["rows"][wd]["seconds"] = time.perf_counter() - start
        out.write_text(json.dumps(record, indent=1))
    return record


if __name__ == "__main__":
    main()
