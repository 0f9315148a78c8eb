"""README's quick start, measured: the main job as README writes it, then ``inrv evaluate`` on it.

    python -m benchmarks.quick_start                 # -> docs/quick_start.json, docs/eval_shapes.md

Runs ``inrv train --config configs/shapes.py --workdir WORK`` (README's main job; WORK is wiped
first so the run starts from scratch) and times the whole command from outside (data,
compilation, steps, final evaluation, pictures), then ``inrv evaluate --workdir WORK``. The record
holds the command, commit, date, machine, the trainer's summary and the evaluation report;
``markdown(record)`` renders the sentence README quotes (tests/test_readme_records.py checks it).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import subprocess
import time

from benchmarks import common

TRAIN = "inrv train --config configs/shapes.py --workdir {work}"
EVALUATE = "inrv evaluate --workdir {work}"


def _timed(command: str) -> float:
    start = time.perf_counter()
    subprocess.run(command.split(), check=True, cwd=common.ROOT)
    return time.perf_counter() - start


def measure(work: pathlib.Path) -> dict:
    """Train and evaluate README's default model in ``work``; the record (see module doc)."""
    if work.exists():
        shutil.rmtree(work)
    record = common.record_header("benchmarks.quick_start", None)
    record["protocol"] = {
        "train": TRAIN.format(work="runs/shapes"),
        "evaluate": EVALUATE.format(work="runs/shapes"),
        "wall_seconds_by": "time.perf_counter around each command (compilation, final "
        "evaluation and pictures included)",
    }
    record["wall_seconds"] = round(_timed(TRAIN.format(work=work)), 1)
    record["summary"] = json.loads((work / "summary.json").read_text())
    record["evaluate_seconds"] = round(_timed(EVALUATE.format(work=work)), 1)
    record["evaluate"] = json.loads((work / "eval" / "eval.json").read_text())
    record["machine"]["load_1min_after"] = common.machine()["load_1min"]
    return record


def markdown(record: dict) -> str:
    """The quick-start sentence README quotes (one line)."""
    s, m = record["summary"], record["machine"]
    return (
        f"{s['step']:,} steps in {record['wall_seconds']:.0f} s wall including compilation "
        f"(~{s['perf/steps_per_s']:.0f} steps/s), reconstruction PSNR {s['recon/psnr']:.2f} dB "
        f"mean over the {s['num_videos']} training videos (min {s['recon/psnr_min']:.2f} dB); "
        f"`inrv evaluate` {record['evaluate_seconds']:.0f} s. Measured at commit "
        f"{record['commit']}, {record['date'][:10]}, {m['cpu']} ({m['cores']} cores, "
        f"{m['accelerator']}, 1-min load {m['load_1min']:.1f} before / "
        f"{m['load_1min_after']:.1f} after), "
        "record [docs/quick_start.json](docs/quick_start.json)."
    )


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--work", default="runs/quick_start", help="scratch workdir (wiped)")
    p.add_argument("--out", default="docs", help="folder for quick_start.json and eval_shapes.md")
    args = p.parse_args(argv)
    work, out = common.ROOT / args.work, common.ROOT / args.out
    record = measure(work)
    out.mkdir(parents=True, exist_ok=True)
    (out / "quick_start.json").write_text(json.dumps(record, indent=1) + "\n")
    shutil.copy(work / "eval" / "eval.md", out / "eval_shapes.md")
    print(markdown(record))


if __name__ == "__main__":
    main()
