"""Every benchmark record under ``docs/`` and the page generated from it.

    python -m benchmarks.report            # rewrite each record's page (NAME.md beside NAME.json)
    python -m benchmarks.report --check    # list the pages that differ from their records; exit 1

A record is a JSON file a benchmark wrote (command, commit, date, machine, protocol, numbers).
``REGISTRY`` maps each kind of record (a glob) to the function that renders its page; a record no
entry matches fails ``tests/test_readme_records.py``, so a new benchmark cannot go unrendered.
Pages are never edited by hand: change the renderer or re-run the benchmark, then run this.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import math
import pathlib
import sys
from collections.abc import Callable

from benchmarks import common

ROOT = common.ROOT


@dataclasses.dataclass(frozen=True)
class Kind:
    """One kind of record: ``pattern`` (a glob from the repository root), ``render`` (record ->
    markdown) and whether the rendering is written as a page beside the record (``page``);
    without one it is only quoted (tests/test_readme_records.py ``QUOTED_IN``)."""

    pattern: str
    render: Callable[[dict], str]
    page: bool = True


# ---------------------------------------------------------------------------------- header
def machine_words(m: dict | str) -> str:
    """A record's machine in words, "CPU (N cores, backend, load L)", from whichever of those
    fields the record has (records rebuilt from git history lack some)."""
    if isinstance(m, str):
        return m
    name = m.get("cpu") or m.get("gpu") or m.get("accelerator", "machine not recorded")
    extra = [f"{m['cores']} cores"] if "cores" in m else []
    if m.get("accelerator") and m["accelerator"] != name:
        extra.append(m["accelerator"])
    if m.get("load_1min") is not None:
        extra.append(f"load {m['load_1min']:.2f}")
    return name + (f" ({', '.join(extra)})" if extra else "")


def header(record: dict) -> str:
    """The lines a page starts with: "`COMMAND` — commit C, DATE, MACHINE." and, for a record
    whose header was rebuilt later, its provenance."""
    line = (
        f"`{record['command']}` — commit {record['commit']}, {record['date']}, "
        f"{machine_words(record['machine'])}."
    )
    if "provenance" in record:
        line += f"\n\nProvenance: {record['provenance']}"
    return line + "\n\n"


def _table(head: list[str], align: str, rows: list[list]) -> list[str]:
    return [common.md_row(head), common.md_rule(align), *(common.md_row(r) for r in rows)]


# ------------------------------------------------------------- pages rendered by the scripts
def _continuity(record: dict) -> str:
    from benchmarks import continuity

    return continuity.markdown(record)


def _latent_space(record: dict) -> str:
    from benchmarks import latent_space

    return latent_space.markdown(record)


def _real_clips(record: dict) -> str:
    from benchmarks import real_clips

    return real_clips.markdown(record)


def _quick_start(record: dict) -> str:
    from benchmarks import quick_start

    return quick_start.markdown(record)


def _json_inf(x):
    """``inrv_jax.tasks.scoring.jsonable`` writes ±inf as ±1e9; back to floats for printing."""
    if isinstance(x, dict):
        return {k: _json_inf(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_json_inf(v) for v in x]
    return math.copysign(math.inf, x) if isinstance(x, float) and abs(x) == 1e9 else x


def _amortized(record: dict) -> str:
    from benchmarks import amortized

    record = _json_inf(record)
    return header(record) + amortized.markdown(record) + _amortized_summary(record)


def _amortized_summary(record: dict) -> str:
    """README's table: PSNR per task (all pixels for inversion, else the hidden ones)."""
    from inrv_jax.tasks.scoring import compared_metric

    rows = {"mean+300": "mean init + 300 steps", "mean+20": "mean init + 20 steps",
            "encoder+0": "encoder, one pass", "encoder+20": "encoder + 20 steps"}  # fmt: skip
    longest = max(record["protocol"]["refine"])
    rows[f"encoder+20+refine{longest}"] = f"encoder + 20 + refine {longest}"
    tasks = record["tasks"]
    names = {"all": "inversion", "frame-interpolation": "frame interp."}
    head = ["method", *(names.get(t, t) for t in tasks), "seconds (inversion)"]
    out = []
    for key, label in rows.items():
        cells = [f"{tasks[t]['methods'][key][compared_metric(t)]:.2f}" for t in tasks]
        s = tasks["all"]["methods"][key]["seconds"]
        out.append([label, *cells, f"{s:.1f}" if s >= 0.1 else f"{s:.2f}"])
    best = []
    for t, sec in tasks.items():
        key = compared_metric(t)
        name = max(sec["baselines"], key=lambda b: sec["baselines"][b][key] or -math.inf)
        best.append(f"{sec['baselines'][name][key]:.2f} {name}")
    out.append(["best baseline", *best, ""])
    lines = ["## Summary", "", "PSNR (dB): inversion over all pixels, the other tasks over the "
             "hidden pixels; seconds for the held-out clips together.", "",
             *_table(head, "l" + "r" * (len(head) - 1), out)]  # fmt: skip
    return "\n".join(lines) + "\n"


def _hypernet_families(record: dict) -> str:
    from benchmarks import hypernet_families

    # The script prints "machine" as the string it wrote before the record had a header.
    legacy = {**record, "machine": record.get("platform", record["machine"])}
    return header(record) + hypernet_families.markdown(legacy)


# ----------------------------------------------------------------------- pages rendered here
def _script_page(name: str) -> Callable[[dict], str]:
    """The renderer of a script whose ``markdown(record)`` is its page: header + that."""

    def render(record: dict) -> str:
        return header(record) + importlib.import_module(f"benchmarks.{name}").markdown(record)

    return render


def _heldout(record: dict) -> str:
    """docs/continuity/atari/heldout.json: held-out rows of trained workdirs, one column each."""
    p = record["protocol"]
    names = {wd: pathlib.PurePath(wd).name for wd in record["rows"]}
    tasks = list(next(iter(record["rows"].values()))["episodes"])
    rows = [[t, *(common.heldout_cell(r["episodes"][t]) for r in record["rows"].values())]
            for t in tasks]  # fmt: skip
    rows.append(["seconds", *(f"{r['seconds']:.0f}" for r in record["rows"].values())])
    lines = [
        f"Workdirs {', '.join(f'`{wd}`' for wd in record['rows'])}; the first {p['heldout']} "
        f"atari clips {p['frames']}×{p['size']}×{p['size']} of unseen episodes (data seed 1) that "
        f"share no frame with a training clip ({len(record['heldout_skipped'])} skipped); every "
        f"task inverted from the mean latent, {p['inversion_steps']} Adam steps of "
        f"{p['inversion_pixels']} observed pixels. PSNR (dB) on the hidden pixels (inversion: "
        "all pixels); best baseline in brackets; ✓ = it beats every baseline.",
        "",
        *_table(["task", *names.values()], "l" + "l" * len(names), rows),
    ]
    return header(record) + "\n".join(lines) + "\n"


def _levers(record: dict) -> str:
    """docs/latent_space/levers: refinement candidates scored on validation clips, per grid."""
    lines = [record["protocol"] + ".", ""]
    if "note" in record["machine"]:
        lines += [f"Note: {record['machine']['note']}.", ""]
    summary = []
    for i, run in enumerate(record["runs"], 1):
        for task, res in run["results"].items():
            top = res["scores"][0]
            base = max(res["baselines"].items(), key=lambda b: b[1])
            summary.append([i, task, top["name"], f"{top['score']:.2f}",
                            f"{base[0]} {base[1]:.2f}"])  # fmt: skip
    lines += ["## Best candidate per grid and task", "",
              *_table(["grid", "task", "best candidate", "PSNR", "best baseline"], "rllrl",
                      summary)]  # fmt: skip
    for i, run in enumerate(record["runs"], 1):
        lines += ["", f"## Grid {i}: `{run['grid']}`"]
        for task, res in run["results"].items():
            base = ", ".join(f"{k} {v:.2f}" for k, v in res["baselines"].items())
            rows = [[s["name"], f"{s['score']:.2f}", f"{s['seconds']:.2f}"] for s in res["scores"]]
            lines += ["", f"**{task}** (baselines: {base})", "",
                      *_table(["candidate", "PSNR", "seconds"], "lrr", rows)]  # fmt: skip
    return header(record) + "\n".join(lines) + "\n"


def _gpu(record: dict) -> str:
    """docs/gpu/*.json: one run of benchmarks/gpu_suite.py (its records under "records")."""
    recs = record["records"]
    env = [r for r in recs if r["bench"] == "env"]
    peak = {r["dtype"]: r["tflops_best"] for r in recs if r["bench"] == "matmul"}
    p = record["protocol"]
    lines = [
        f"Protocol: {p['what']}; T×H×W {'×'.join(map(str, p['settings']['video']))}.",
        "",
        "Versions: "
        + "; ".join(
            ", ".join(f"{k} {v}" for k, v in e.items() if k not in ("bench", "impl", "date"))
            for e in env[:2]
        )
        + ".",
        "",
        "Matmul rate of the card, measured in this run (best of 10): "
        + ", ".join(f"{k} {v:.0f} TFLOP/s" for k, v in peak.items())
        + ".",
    ]
    lines += _gpu_train(recs, peak) + _gpu_variants(recs, peak) + _gpu_sweep(recs, peak)
    lines += _gpu_inversion(recs) + _gpu_render(recs) + _gpu_profile(recs)
    failed = [r for r in recs if "error" in r]
    if failed:
        lines += ["", "## Failed rows (left out above)", ""]
        for error in dict.fromkeys(r["error"].splitlines()[0][:160] for r in failed):
            n = sum(r["error"].startswith(error) for r in failed)
            lines.append(f"- {n} × `{error}`")
    return header(record) + "\n".join(lines) + "\n"


_DTYPE = {"bfloat16": "bf16", "float32": "float32 (TF32)"}


def _mfu(r: dict, peak: dict) -> str:
    return f"{r['tflops']:.1f} ({100 * r['tflops'] / peak[r['dtype']]:.1f} %)"


def _gpu_train(recs: list[dict], peak: dict) -> list[str]:
    ok = [r for r in recs if r["bench"] == "train" and "error" not in r]
    by = {(r["impl"], r["dtype"], r["batch"]): r for r in ok}
    rows = []
    for dtype in ("bfloat16", "float32"):
        for b in sorted({r["batch"] for r in ok if r["impl"] == "jax" and r["dtype"] == dtype}):
            j = by[("jax", dtype, b)]
            e, c = by.get(("torch-eager", dtype, b)), by.get(("torch-compile", dtype, b))
            torch_gb = " / ".join(f"{t['peak_gb']:.3g}" for t in (e, c) if t) or "–"
            rows.append([_DTYPE[dtype], b, f"{j['s_per_step']:.4f}", _mfu(j, peak),
                         f"{j['xla_peak_gb']:.2f}",
                         *(f"{t['s_per_step']:.4f}" if t else "–" for t in (e, c)), torch_gb,
                         *(f"{t['s_per_step'] / j['s_per_step']:.2f}×" if t else "–"
                           for t in (e, c))])  # fmt: skip
    head = ["dtype", "B", "JAX s/step", "JAX TFLOP/s (MFU)", "JAX peak GB",
            "PyTorch eager s/step", "`torch.compile` s/step",
            "PyTorch peak GB (eager / compiled)", "JAX ÷ eager", "JAX ÷ compiled"]  # fmt: skip
    return ["", "## Train step: JAX next to the official PyTorch step", "",
            "JAX peak: XLA's memory analysis of the compiled step; PyTorch's: "
            "`torch.cuda.max_memory_allocated`.", "", *_table(head, "lr" + "r" * 8, rows)]  # fmt: skip


def _gpu_variants(recs: list[dict], peak: dict) -> list[str]:
    base = {(r["dtype"], r["batch"]): r for r in recs
            if r["bench"] == "train" and r.get("impl") == "jax" and "error" not in r}  # fmt: skip
    rows = [[r["impl"], _DTYPE[r["dtype"]], r["batch"], f"{r['s_per_step']:.4f}", _mfu(r, peak),
             f"{base[(r['dtype'], r['batch'])]['s_per_step'] / r['s_per_step']:.2f}×"]
            for r in recs if r["bench"] == "train" and r.get("impl", "").startswith("jax[")]  # fmt: skip
    if not rows:
        return []
    head = ["JAX with XLA flags", "dtype", "B", "s/step", "TFLOP/s (MFU)", "speed vs defaults"]
    return ["", "## XLA flag variants", "", *_table(head, "llrrrr", rows)]


def _gpu_sweep(recs: list[dict], peak: dict) -> list[str]:
    rows = [[f"{r['chunk_rows']:,}", f"{r['s_per_step']:.4f}", f"{r['pixels_per_s'] / 1e6:.1f}",
             _mfu(r, peak), f"{r['xla_peak_gb']:.2f}"]
            for r in recs if r["bench"] == "sweep" and "error" not in r]  # fmt: skip
    if not rows:
        return []
    b = next(r for r in recs if r["bench"] == "sweep")
    head = ["rows per chunk", "s/step", "Mpix/s", "TFLOP/s (MFU)", "XLA peak GB"]
    return ["", f"## Chunk rows (JAX, {_DTYPE[b['dtype']]}, B = {b['batch']})", "",
            *_table(head, "rrrrr", rows)]  # fmt: skip


def _videos_per_s(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _gpu_inversion(recs: list[dict]) -> list[str]:
    inv = [r for r in recs if r["bench"] == "inversion" and "error" not in r]
    batches = sorted({r["batch"] for r in inv})
    groups: dict[tuple, dict] = {}
    for r in inv:
        groups.setdefault((r.get("dtype", "float32"), r["pixels_per_step"]), {})[r["batch"]] = r
    rows = []
    for (dtype, pixels), by in groups.items():
        ratio = (
            f"{by[64]['videos_per_s'] / by[1]['videos_per_s']:.1f}×" if {1, 64} <= set(by) else ""
        )
        rows.append([f"{_DTYPE[dtype]}, {pixels:,} pixels per step",
                     *(_videos_per_s(by[b]["videos_per_s"]) if b in by else "" for b in batches),
                     ratio])  # fmt: skip
    steps = inv[0]["steps"] if inv else 0
    head = ["videos/s", *(f"B = {b}" for b in batches), "64 ÷ 1"]
    return ["", f"## Batch inversion (official-size model, {steps} Adam steps on z)", "",
            *_table(head, "l" + "r" * (len(batches) + 1), rows)]  # fmt: skip


def _gpu_render(recs: list[dict]) -> list[str]:
    ren = [r for r in recs if r["bench"] == "render" and "error" not in r]
    cols = sorted({(tuple(r["video"]), r["batch"]) for r in ren})
    groups: dict[str, dict] = {}
    for r in ren:
        if r["impl"] == "jax":
            label = f"JAX, {r['chunk_rows']:,} rows per chunk"
        else:
            label = f"official PyTorch ({r['impl']}, {r['dtype']} autocast), whole video at once"
        groups.setdefault(label, {})[(tuple(r["video"]), r["batch"])] = r["videos_per_s"]
    rows = [[label, *(_videos_per_s(by[c]) if c in by else "" for c in cols)]
            for label, by in groups.items()]  # fmt: skip
    head = ["videos/s", *(f"{'×'.join(map(str, v))}, B = {b}" for v, b in cols)]
    return ["", "## Render", "", *_table(head, "l" + "r" * len(cols), rows)]


def _gpu_profile(recs: list[dict]) -> list[str]:
    prof = next((r for r in recs if r["bench"] == "profile" and "top_ops" in r), None)
    if prof is None:
        return []
    rows = [[f"`{o['name'][:90]}`", f"{o['ms']:.2f}", f"{100 * o['share']:.1f} %"]
            for o in prof["top_ops"]]  # fmt: skip
    return ["", f"## Profile of 3 bf16 steps: busiest thread `{prof['busiest_thread']}`, "
            f"{prof['busiest_ms']:.1f} ms busy of a {prof['span_ms']:.1f} ms span", "",
            *_table(["op", "ms", "share"], "lrr", rows)]  # fmt: skip


def _figures(record: dict) -> str:
    """docs/figures/figures.json: the held-out clip pictures, the clip each shows and its PSNRs,
    and the test set's means next to the latent-space record's (the protocol reproduced)."""
    p = record["protocol"]
    rows = []
    for task, t in record["clips"]["tasks"].items():
        set_mean, rec_mean = t["set_mean_psnr_hidden"], t["record_mean_psnr_hidden"]
        rows.append([
            f"[{task}]({pathlib.PurePath(t['picture']).name})", t["clip"], t["method"],
            t["baseline"], t["hidden"],
            f"{t['psnr_hidden']['inrv']:.2f} / {t['psnr_hidden']['baseline']:.2f}",
            f"{set_mean['inrv']:.2f} / {set_mean['baseline']:.2f}",
            f"{rec_mean['inrv']:.2f} / {rec_mean['baseline']:.2f}",
        ])  # fmt: skip
    n = len(next(iter(record["clips"]["tasks"].values()))["per_clip_psnr_hidden"]["inrv"])
    head = ["picture", "test clip", "INR-V (chosen on validation)", "best baseline", "hidden",
            "clip: INR-V / baseline dB", f"{n}-clip mean", "record's mean"]  # fmt: skip
    lines = [
        f"Model `{p['workdir']}` (step {record['clips']['checkpoint_step']}, "
        f"N = {record['clips']['num_videos']}); the unseen-episode test clips of `{p['record']}` "
        f"(commit {p['record_commit']}, atari data seed {p['data_seed']}), each task's method as "
        f"that record chose it, {p['inversion_pixels']} observed pixels a step, seed {p['seed']}. "
        f"Clip shown: {p['clip_rule']}. PSNR on the hidden pixels.",
        "",
        *_table(head, "lrlllrrr", rows),
    ]
    return header(record) + "\n".join(lines) + "\n"


# -------------------------------------------------------------------------------- registry
REGISTRY = (
    Kind("docs/continuity/**/continuity.json", _continuity),
    Kind("docs/continuity/**/heldout.json", _heldout),
    Kind("docs/latent_space/**/latent_space.json", _latent_space),
    Kind("docs/latent_space/levers/levers.json", _levers),
    Kind("docs/real_clips/real_clips.json", _real_clips),
    Kind("docs/amortized/amortized.json", _amortized),
    Kind("docs/hypernet_families/hypernet_families.json", _hypernet_families),
    Kind("docs/prior/prior.json", _script_page("prior")),
    Kind("docs/gpu/*.json", _gpu),
    Kind("docs/performance/bench_train.json", _script_page("bench_train")),
    Kind("docs/performance/time_to_quality.json", _script_page("time_to_quality")),
    Kind("docs/performance/inversion_throughput.json", _script_page("inversion_throughput")),
    Kind("docs/figures/figures.json", _figures),
    # Quoted in README as one sentence; a top-level docs/*.md page would be a hand-written one.
    Kind("docs/quick_start.json", _quick_start, page=False),
)


def records() -> dict[str, Kind]:
    """Every record the registry knows: its path from the repository root -> its kind."""
    found = {}
    for kind in REGISTRY:
        for path in sorted(ROOT.glob(kind.pattern)):
            found.setdefault(str(path.relative_to(ROOT)), kind)
    return found


def unregistered() -> list[str]:
    """JSON files under docs/ that no registry entry renders."""
    known = records()
    paths = (str(p.relative_to(ROOT)) for p in sorted(ROOT.glob("docs/**/*.json")))
    return [p for p in paths if p not in known]


def load(record: str) -> dict:
    return json.loads((ROOT / record).read_text())


def render(record: str) -> str:
    """The markdown of ``record`` (a path from the repository root)."""
    return records()[record].render(load(record))


def page(record: str) -> pathlib.Path | None:
    """Where ``record``'s rendering is written (None: it has no page of its own)."""
    return (ROOT / record).with_suffix(".md") if records()[record].page else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 on a stale page"
    )
    args = parser.parse_args(argv)
    stale = []
    for record, kind in records().items():
        if not kind.page:
            continue
        out = (ROOT / record).with_suffix(".md")
        text = kind.render(load(record))
        if out.exists() and out.read_text() == text:
            continue
        stale.append(str(out.relative_to(ROOT)))
        if not args.check:
            out.write_text(text)
    for path in stale:
        print(f"{path} differs from its record" if args.check else f"wrote {path}")
    for path in unregistered():
        print(f"{path}: no entry in benchmarks/report.py REGISTRY renders it")
    return 1 if (args.check and stale) or unregistered() else 0


if __name__ == "__main__":
    sys.exit(main())
