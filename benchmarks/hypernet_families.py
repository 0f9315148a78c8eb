"""Hypernetwork families at equal wall-clock: reconstruction of N atari clips and held-out rows.

    python -m benchmarks.hypernet_families             # N = 512, ~4 min of training per family
    python -m benchmarks.hypernet_families --variant wide_batch   # configs/atari.py:wide_batch
    python -m benchmarks.hypernet_families --quick     # rehearsal: N = 16, seconds per family
    python -m benchmarks.hypernet_families --sizes 512,4096 --data sample_clips

Protocol (written with the numbers into ``OUT/hypernet_families.json``):

1. Data: ``configs/atari.py`` clips (``--frames``×``--size``², data seed 0), N = ``--sizes``;
   ``--data sample_clips`` trains on the bundled sample clips instead (no held-out rows then).
2. Every family of ``--families`` at every INR width of ``--widths`` trains with the data's
   config (its ``--variant``, e.g. ``wide_batch``; default: the fast recipe; ``--set key=value``
   overrides it) for the same wall-clock ``--budget`` seconds: a 20-step probe measures the
   step rate, then ``steps = budget × rate`` (so the cosine schedule ends where the budget
   does). Runs go to ``WORK/N{N}/{family}_w{width}[_{variant}][_{overrides}]``; finished runs
   are reused.
3. Reported per run: parameters (hypernetwork + codebook), step time (probe), the training
   call's measured seconds (data, compilation and final evaluation included),
   reconstruction PSNR of all N clips at the end (mean and worst clip), and the curve of the
   mean PSNR of the first ``--curve-clips`` clips against training seconds (from the logged
   step rates).
4. Held-out rows (atari only): the first ``--heldout`` clips of data seed 1 (other episodes of
   the same games) that share no frame with a training clip, every task of
   ``inrv_jax.masks.HELDOUT_TASKS`` next to its baselines
   (``inrv_jax.tasks.heldout_protocol.heldout_rows``).

Writes ``OUT/hypernet_families.json`` (command, commit, date, machine, protocol, runs),
``OUT/hypernet_families.md`` and
``OUT/psnr_vs_seconds.png`` (one line per family and width).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import numpy as np

from benchmarks import common

MODULE = "benchmarks.hypernet_families"
FAMILIES = ("per_tensor", "shift_modulation", "low_rank", "chunked", "film")
DATA_CONFIGS = {"atari": "configs/atari.py", "sample_clips": "configs/sample_clips.py"}


def make_config(args, n: int, family: str, width: int, steps: int):
    """The data's recipe (``--variant``, ``--set``) with ``family`` at INR ``width``, ``n``
    clips and ``steps`` steps."""
    from inrv_jax.config import apply_overrides, load_config

    path = str(common.ROOT / DATA_CONFIGS[args.data])
    c = load_config(f"{path}:{args.variant}" if args.variant else path)
    if args.data == "atari":
        c.data.frames, c.data.size = args.frames, (args.size, args.size)
    c.data.num_videos = n
    c.model.hypernet.kind = family
    c.model.inr.hidden = width
    c.train.steps = steps
    c.optim.warmup_steps = min(int(c.optim.warmup_steps), steps // 10)
    c.train.log_every = max(1, steps // 20)
    c.train.eval_every = max(1, steps // 6)
    c.train.eval_videos = min(args.curve_clips, n)
    c.train.checkpoint_every = steps
    c.train.num_samples = 2
    c.train.progress = False
    c.mesh.data, c.mesh.model = 1, 1
    apply_overrides(c, list(args.set))
    return c


def curve(workdir: pathlib.Path) -> list[dict]:
    """[{step, seconds, psnr}] from metrics.jsonl: seconds summed from the logged step rates
    (each log line's rate covers the steps since the previous one, evaluations included)."""
    seconds, last, out = 0.0, 0, []
    for line in (workdir / "metrics.jsonl").read_text().splitlines():
        m = json.loads(line)
        if "perf/steps_per_s" in m:
            seconds += (m["step"] - last) / max(m["perf/steps_per_s"], 1e-9)
            last = m["step"]
        if "eval/recon_psnr" in m:
            out.append({"step": m["step"], "seconds": seconds, "psnr": m["eval/recon_psnr"]})
    return out


def run_one(args, n: int, family: str, width: int, work: pathlib.Path, heldout) -> dict:
    """Probe, train (or reuse) and score one family at one width on ``n`` clips; ``heldout``:
    f32[K, T, H, W, 3] held-out episodes, or None for no held-out rows."""
    import jax

    from inrv_jax.tasks.heldout_protocol import heldout_rows
    from inrv_jax.train.loop import NonFiniteLossError

    # Overrides name the run too: a finished run is reused only under the same recipe.
    tag = f"_{args.variant}" if args.variant else ""
    tag += "".join(f"_{kv.replace('=', '-')}" for kv in sorted(args.set))
    workdir = work / f"N{n}" / f"{family}_w{width}{tag}"
    probe_cfg = make_config(args, n, family, width, args.probe_steps)
    rate = common.step_rate(probe_cfg, workdir.with_name(workdir.name + "_probe"), args.probe_steps)
    steps = max(args.probe_steps, int(args.budget * rate))
    config = make_config(args, n, family, width, steps)
    common.log(f"N={n} {family} w{width}: {rate:.2f} steps/s -> {steps} steps")
    base = {"num_videos": n, "family": family, "width": width, "probe_steps_per_s": rate,
            "step_ms": 1000.0 / rate, "steps": steps}  # fmt: skip
    try:
        record = common.train_once(config, workdir)
    except NonFiniteLossError as e:  # a result too: this recipe diverges for this family
        common.log(f"  diverged: {e}")
        return {**base, "diverged": str(e), "load": common.load_avg()}
    summary = json.loads((workdir / "summary.json").read_text())
    trained = common.load_model(workdir)
    count = {k: int(sum(np.size(x) for x in jax.tree.leaves(v))) for k, v in trained.params.items()}
    out = {
        **base,
        "params": count,
        "train_seconds": record["seconds"],
        "recon_psnr": summary["recon/psnr"],
        "recon_psnr_min": summary["recon/psnr_min"],
        "curve": curve(workdir),
        "load": common.load_avg(),
    }
    common.log(f"  recon {out['recon_psnr']:.2f} dB (worst {out['recon_psnr_min']:.2f})")
    if heldout is not None:
        settings = common.heldout_settings(args)
        out["heldout"] = heldout_rows(trained, {"episodes": heldout}, settings, log=common.log)
    return out


def markdown(record: dict) -> str:
    """The record's tables: every run's size, speed and reconstruction, then its held-out rows."""
    p = record["protocol"]
    # Records written before the record header named the machine in words ("platform").
    machine = record.get("platform") or common.machine_text(record["machine"])
    lines = [
        f"{p['data']} clips, equal wall-clock {p['budget']:.0f} s of training per run (recipe "
        f"{DATA_CONFIGS[p['data']]}{':' + p['variant'] if p.get('variant') else ''}, overrides "
        f"{p['set'] or 'none'}); {machine}; "
        f"{record['minutes']:.1f} min in all. PSNR in dB; worst = the worst training clip.",
        "",
        common.md_row(["N", "family", "INR width", "params (hypernet + codes)", "step ms",
                       "steps", "train s", "recon mean", "recon worst"]),
        common.md_rule("rlrrrrrrr"),
    ]  # fmt: skip
    for r in record["runs"]:
        run = [r["num_videos"], r["family"], r["width"]]
        if "diverged" in r:
            lines.append(common.md_row([*run, "–", f"{r['step_ms']:.0f}", r["steps"], "–",
                                        "diverged (non-finite loss)", "–"]))  # fmt: skip
            continue
        hn, codes = r["params"].get("hypernet", 0), r["params"].get("codes", 0)
        lines.append(common.md_row([
            *run, f"{hn:,} + {codes:,}", f"{r['step_ms']:.0f}", r["steps"],
            f"{r['train_seconds']:.0f}", f"{r['recon_psnr']:.2f}", f"{r['recon_psnr_min']:.2f}",
        ]))  # fmt: skip
    rows = [r for r in record["runs"] if "heldout" in r]
    if rows:
        tasks = list(rows[0]["heldout"]["episodes"])
        lines += [
            "",
            f"**Held-out episodes** ({p['heldout']} clips of data seed 1, inversion "
            f"{p['inversion_steps']} steps of {p['inversion_pixels']} pixels): PSNR on the hidden "
            "pixels, best baseline in brackets; ✓ = the family beats every baseline.",
            "",
            common.md_row(["N", "family", *tasks]),
            common.md_rule("rl" + "l" * len(tasks)),
        ]
        for r in rows:
            cells = [common.heldout_cell(r["heldout"]["episodes"][t]) for t in tasks]
            lines.append(common.md_row([r["num_videos"], r["family"], *cells]))
    return "\n".join(lines) + "\n"


def plot(record: dict, out: pathlib.Path) -> pathlib.Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({r["num_videos"] for r in record["runs"]})
    fig, axes = plt.subplots(1, len(sizes), figsize=(6 * len(sizes), 4), squeeze=False)
    for ax, n in zip(axes[0], sizes, strict=True):
        for r in (r for r in record["runs"] if r["num_videos"] == n and "curve" in r):
            xs = [0.0] + [c["seconds"] for c in r["curve"]] + [r["train_seconds"]]
            ys = [None] + [c["psnr"] for c in r["curve"]] + [r["recon_psnr"]]
            xs, ys = zip(
                *[(x, y) for x, y in zip(xs, ys, strict=True) if y is not None], strict=True
            )
            ax.plot(xs, ys, marker="o", label=f"{r['family']} w{r['width']}")
        ax.set(xlabel="training seconds", ylabel="reconstruction PSNR (dB)", title=f"N = {n}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "psnr_vs_seconds.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="512", help="training clips N, comma list")
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--widths", default="64", help="INR widths, comma list")
    parser.add_argument("--budget", type=float, default=240.0, help="training seconds per run")
    parser.add_argument("--probe-steps", type=int, default=20)
    parser.add_argument("--data", choices=sorted(DATA_CONFIGS), default="atari")
    parser.add_argument("--variant", default=None, help="variant of the data's config file")
    parser.add_argument("--frames", type=int, default=common.AtariClips.frames)
    parser.add_argument("--size", type=int, default=common.AtariClips.size)
    parser.add_argument("--curve-clips", type=int, default=64, help="clips of the PSNR curve")
    parser.add_argument(
        "--heldout", type=int, default=12, help="held-out episode clips (0: no held-out rows)"
    )
    parser.add_argument("--inversion-steps", type=int, default=100)
    parser.add_argument("--inversion-pixels", type=int, default=512)
    parser.add_argument("--set", action="append", default=[], help="config override key=value")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", default="runs/hypernet_families")
    parser.add_argument("--out", default="docs/hypernet_families")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a rehearsal")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.budget, args.heldout, args.inversion_steps = "16", 8.0, 2, 5
        args.probe_steps, args.curve_clips = 6, 4
        args.work = args.work + "_quick"
        args.out = args.work + "/report"  # a rehearsal writes nothing into docs/
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.families = [f for f in args.families.split(",") if f]
    args.widths = [int(w) for w in args.widths.split(",") if w]
    return args


def main(argv=None) -> dict:
    from inrv_jax.config import to_settings

    args = parse_args(argv)
    start = time.perf_counter()
    work, out = common.folders(args)
    record = common.new_record(MODULE, argv, args, runs=[])
    for n in args.sizes:
        heldout = None
        if args.data == "atari" and args.heldout > 0:
            data = to_settings(make_config(args, n, FAMILIES[0], args.widths[0], 1)).data
            heldout, record.setdefault("heldout_skipped", {})[str(n)] = common.unseen_from(
                data, args.heldout, common.HELDOUT_DATA_SEED
            )
        for family in args.families:
            for width in args.widths:
                record["runs"].append(run_one(args, n, family, width, work, heldout))
                record["minutes"] = (time.perf_counter() - start) / 60
                _write(record, out)
    record["minutes"] = (time.perf_counter() - start) / 60
    _write(record, out)
    return record


def _write(record: dict, out: pathlib.Path) -> None:
    (out / "hypernet_families.json").write_text(json.dumps(record, indent=1))
    (out / "hypernet_families.md").write_text(markdown(record))
    plot(record, out)


if __name__ == "__main__":
    main()
