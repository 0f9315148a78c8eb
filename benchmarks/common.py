"""What the benchmark scripts share: the record's header, timing, child processes, markdown
tables, trained workdirs and training runs, and the atari clips of the held-out protocol.

Scripts import it as ``from benchmarks import common``. It imports the standard library only at
the top: a script calls ``retain_freed_memory()`` before jax is first imported, so everything
that needs ``inrv_jax`` or jax is imported inside the function that uses it. The held-out
protocol itself (clips sharing no frame with training, the held-out rows) is library code:
``inrv_jax.tasks.heldout_protocol``.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def log(*parts) -> None:
    """``print`` flushed at once: long runs are watched through a pipe."""
    print(*parts, flush=True)


# ---------------------------------------------------------------------------------- the record
def load_avg() -> float:
    """The 1-minute load average (wall times on a shared machine move with it)."""
    return round(os.getloadavg()[0], 2)


def host() -> dict:
    """The host, without touching an accelerator: CPU model, cores, load, Python version."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_1min": os.getloadavg()[0],
        "python": platform.python_version(),
    }


def machine() -> dict:
    """Where the numbers were measured: ``host()``, the accelerator (jax's backend) and jax's
    version. Initialises jax's backend in this process."""
    import jax

    out = host()
    python = out.pop("python")
    return {**out, "accelerator": jax.default_backend(), "jax": jax.__version__, "python": python}


def commit(root: pathlib.Path = ROOT) -> str:
    """The checkout's commit (``git describe --always``), with "-dirty" when a tracked file outside
    ``docs/`` differs: records a benchmark wrote there earlier leave the code it ran unchanged
    ("unknown" outside git)."""
    try:
        head = _git(root, "describe", "--always")
        changed = _git(root, "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if changed else "")


def _git(root: pathlib.Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def record_header(script: str, argv: list[str] | None, machine_info: dict | None = None) -> dict:
    """{"command", "commit", "date" (UTC), "machine"} of a run of ``script`` with ``argv``
    (None: this process's own arguments). ``script``: ``benchmarks.NAME`` (or its file,
    ``benchmarks/NAME.py``); the command is written as ``python -m benchmarks.NAME ARGV``.
    ``machine_info``: the machine when this process must not start an accelerator (default
    ``machine()``)."""
    argv = sys.argv[1:] if argv is None else argv
    module = script.removesuffix(".py").replace("/", ".")
    return {
        "command": " ".join(["python", "-m", module, *argv]),
        "commit": commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine() if machine_info is None else machine_info,
    }


def new_record(script: str, argv: list[str] | None, args, **fields) -> dict:
    """A record to fill: ``record_header`` then "protocol" (``args``' values but its ``work``
    and ``out`` folders, which name where, not how) then ``fields``."""
    protocol = {k: v for k, v in vars(args).items() if k not in ("work", "out")}
    return {**record_header(script, argv), "protocol": protocol, **fields}


def folders(args) -> tuple[pathlib.Path, pathlib.Path]:
    """``args.work`` (the run's scratch) and ``args.out`` (its record), both created."""
    work, out = pathlib.Path(args.work), pathlib.Path(args.out)
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    return work, out


def open_run(script: str, argv: list[str] | None, source, work, out):
    """A run on a copy of a trained workdir: (``record_header``, ``working_copy(source,
    work)``, ``out`` as a created folder)."""
    header = record_header(script, argv)
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return header, working_copy(source, work), out


def write_record(out, name: str, record: dict) -> pathlib.Path | None:
    """Write ``record`` as ``OUT/NAME.json`` (``out`` created; falsy ``out``: nothing written)
    and say so; its page is rendered by ``python -m benchmarks.report``."""
    if not out:
        return None
    path = pathlib.Path(out) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
    log(f"wrote {path} (its page: python -m benchmarks.report)")
    return path


def machine_text(m, load: bool = True) -> str:
    """A record's machine in words: "CPU (N cores, backend[, load L])". Older records that
    wrote the machine as a string keep it."""
    if isinstance(m, str):
        return m
    extra = f", load {m['load_1min']:.2f}" if load else ""
    return f"{m['cpu']} ({m['cores']} cores, {m['accelerator']}{extra})"


def provenance(record: dict, load: bool = False) -> str:
    """The line a record's tables start with: "`COMMAND` — commit C, DATE, MACHINE", and the
    record's ``provenance`` note in brackets where it has one (e.g. what a "-dirty" commit held)."""
    note = f" [{record['provenance']}]" if "provenance" in record else ""
    return (
        f"`{record['command']}` — commit {record['commit']}{note}, {record['date']}, "
        f"{machine_text(record['machine'], load)}"
    )


# ------------------------------------------------------------------------------------ timing
def time_calls(fn: Callable[[], object], reps: int, warmup: int = 1):
    """Wall and process-CPU seconds of ``reps`` calls of ``fn()`` after ``warmup`` untimed ones.
    ``fn`` must block until its work is done (``jax.block_until_ready``).

    Returns:
      (wall seconds [reps], CPU seconds [reps]).
    """
    for _ in range(warmup):
        fn()
    walls, cpus = [], []
    for _ in range(reps):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return walls, cpus


def first_reach(curve: list[tuple[float, int, float]], target: float) -> dict:
    """When a training curve [(train seconds, steps, PSNR)] first reached ``target`` PSNR:
    {"reached", "seconds", "steps" (None when never), "curve", "final_psnr"}."""
    hit = next((c for c in curve if c[2] >= target), None)
    return {
        "reached": hit is not None,
        "seconds": hit[0] if hit else None,
        "steps": hit[1] if hit else None,
        "curve": curve,
        "final_psnr": curve[-1][2],
    }


# ----------------------------------------------------------------------------------- children
@dataclasses.dataclass(frozen=True)
class ChildRun:
    """What a child process left: its output, its exit status (-1: killed at the timeout)
    and its wall seconds."""

    stdout: str
    stderr: str
    returncode: int
    seconds: float


def run_child(module: str, args: Sequence[str], timeout: float, env: dict | None = None):
    """Run ``python -m MODULE --child ARGS`` with this interpreter and wait for it.

    A benchmark measures in a child what must be measured per process (peak memory, a fresh
    accelerator). ``env`` is added to this process's environment. A timeout is a result, not an
    exception: the output so far, ``returncode`` -1 and a ``stderr`` saying so.
    """
    cmd = [sys.executable, "-m", module, "--child", *args]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})})  # fmt: skip
        stdout, stderr, rc = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        stderr, rc = f"timed out after {timeout:.0f} s", -1
    return ChildRun(stdout, stderr or "", rc, time.perf_counter() - t0)


# ----------------------------------------------------------------------------------- markdown
def md_row(cells: Sequence) -> str:
    """One markdown table row: ``| a | b |``."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def md_rule(align: str) -> str:
    """The row under a table's header, a column per letter of ``align``: ``l`` (``---``) or
    ``r`` (``---:``)."""
    return md_row("---:" if a == "r" else "---" for a in align)


def best_baseline(res: dict) -> tuple[str, float] | None:
    """(name, score) of the best baseline of a held-out row (``heldout_protocol.score_key``)."""
    from inrv_jax.tasks.heldout_protocol import score_key

    key = score_key(res["mean"])
    scores = [
        (name, b["mean"][key])
        for name, b in res.get("baselines", {}).items()
        if b["mean"].get(key) is not None
    ]
    return max(scores, key=lambda s: s[1]) if scores else None


def heldout_cell(res: dict) -> str:
    """A held-out row as a table cell: "model ✓ (best baseline score)"; ✓ = it beats every
    baseline. Rows with per-clip scores add the margin over that baseline ± its standard error
    over the clips (``margin_spread``): "model ✓ (best baseline score; +0.05 ± 0.03)"."""
    from inrv_jax.tasks.heldout_protocol import score_key

    model = res["mean"][score_key(res["mean"])]
    best = best_baseline(res)
    if best is None:
        return f"{model:.2f}"
    mark = "✓" if model > best[1] else "✗"
    spread = margin_spread(res, best[0])
    margin = "" if spread is None else f"; {spread[0]:+.2f} ± {spread[1]:.2f}"
    return f"{model:.2f} {mark} ({best[0]} {best[1]:.2f}{margin})"


def margin_spread(res: dict, baseline: str) -> tuple[float, float] | None:
    """(mean, standard error) over the clips of the model's per-clip score minus ``baseline``'s
    on the same clip (``heldout_protocol.heldout_rows``' ``per_video``); None without per-clip
    scores or with fewer than 2 clips."""
    from inrv_jax.tasks.heldout_protocol import score_key

    key = score_key(res["mean"])
    rows = (res, res.get("baselines", {}).get(baseline, {}))
    per = [np.asarray((r.get("per_video") or {}).get(key, []), np.float64) for r in rows]
    if len(per[0]) < 2 or len(per[0]) != len(per[1]):
        return None
    diff = per[0] - per[1]
    return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff)))


# ------------------------------------------------------------- the train step, as the trainer runs it
def official_settings(batch: int, video_shape=(25, 100, 100), remat: bool = False,
                      chunk: int = 1 << 14, sample_frac: float = 1.0, changes=None):  # fmt: skip
    """The official architecture and step as ``Settings``: latent 128, per-tensor heads, INR
    63-256x4-3, L1 only, Adam 1e-4, ``batch`` clips a step of ``video_shape`` (T, H, W), one
    device; ``changes``: further {"a.b": value} (``settings.replace``). Validated. The official
    nerf encoding keeps ``model.inr.grid`` () (renders place pixels on the grid they are asked
    for, as the official code does); another encoding gets the clips' grid (``resolve``)."""
    from inrv_jax import settings as settings_lib

    t, h, w = (int(x) for x in video_shape)
    values = {
        "data.frames": t,
        "data.size": (h, w),
        "model.latent_dim": "128",
        "loss.lpips_weight": 0.0,
        "loss.distance": "l1",
        "train.batch_size": batch,
        "train.sample_frac": sample_frac,
        "train.remat": remat,
        "train.render_chunk": chunk,
        "mesh.data": 1,
        "mesh.model": 1,
        **(changes or {}),
    }
    settings = settings_lib.replace(settings_lib.Settings(), values)
    if settings.model.inr.encoding != "nerf":
        settings = settings_lib.resolve(settings)
    settings_lib.validate(settings)
    return settings


def train_step_parts(settings, num_videos: int, lpips=None, seed: int = 0):
    """(model, jitted train step, initial state, mesh) of ``settings`` for ``num_videos`` clips
    of ``settings.video_shape`` on one device: ``inrv_jax.train.step.build_step``, the trainer's
    own assembly; parameters initialised from ``seed``."""
    import jax

    from inrv_jax.train.step import build_step

    parts = build_step(settings, num_videos, devices=jax.devices()[:1], lpips=lpips)
    return parts.model, parts.step_fn, parts.init_state(jax.random.key(seed)), parts.mesh


def build_jax_step(settings, num_videos: int, lpips=None):
    """The trainer's step on random clips of ``settings.video_shape``: (jitted step, state,
    batch {"index", "video" f32[B, T, H, W, 3]}, coords f32[T*H*W, 3], step key)."""
    import jax
    import jax.numpy as jnp

    from inrv_jax.coords import make_grid
    from inrv_jax.sharding import global_batch

    t, h, w = settings.video_shape
    b = int(settings.train.batch_size)
    _, step, state, mesh = train_step_parts(settings, num_videos, lpips)
    videos = np.random.default_rng(0).uniform(-1, 1, (b, t, h, w, 3)).astype(np.float32)
    batch = global_batch(
        {"index": np.arange(b, dtype=np.int32) % num_videos, "video": videos}, mesh
    )
    return step, state, batch, jnp.asarray(make_grid(t, h, w)), jax.random.key(1)


# ------------------------------------------------------------------------ workdirs and training
def add_source_arguments(parser, work: str) -> None:
    """``--source`` (a trained workdir, never written), ``--work`` (the copy this benchmark
    writes into; default ``work``) and ``--n`` (training clips of ``--source``)."""
    parser.add_argument("--source", default="runs/latent_space/N512", help="trained workdir (read only)")  # fmt: skip
    parser.add_argument("--work", default=work, help="the copy this benchmark writes into")
    parser.add_argument("--n", type=int, default=512, help="training clips of --source")


def working_copy(source, work) -> pathlib.Path:
    """``work``, copied once from the trained workdir ``source`` (samples and logs left out)."""
    work = pathlib.Path(work)
    if not work.exists():
        shutil.copytree(source, work, ignore=shutil.ignore_patterns("samples", "tb"))
    return work


def trained_workdir(workdir) -> pathlib.Path:
    """The workdir holding a run's final model: a progressive run's last stage, else itself."""
    workdir = pathlib.Path(workdir)
    stages = sorted(workdir.glob("stage_*"), key=lambda p: int(p.name.split("_")[1]))
    return stages[-1] if stages else workdir


def load_model(workdir):
    """The ``TrainedModel`` of a run's workdir (progressive runs: their last stage)."""
    from inrv_jax.checkpoint import load_trained

    return load_trained(trained_workdir(workdir))


def train_once(config, workdir, progressive: bool = False, fresh: bool = False) -> dict:
    """Train ``config`` (a ConfigDict, turned into ``Settings`` by ``config.to_settings``) in
    ``workdir``, or reuse the run finished there before.

    Args:
      progressive: ``train.stages`` (``inrv_jax.train.progressive``).
      fresh: discard an unfinished run instead of resuming it.
    Returns:
      {"seconds" (the training call, data and compilation included), "steps", "num_videos",
      "recon_psnr", "steps_per_s" (last logged), "load"}, also in ``WORKDIR/benchmark_run.json``.
    """
    from inrv_jax.config import to_settings
    from inrv_jax.train.loop import train_and_evaluate
    from inrv_jax.train.progressive import train_progressive

    workdir = pathlib.Path(workdir)
    done = workdir / "benchmark_run.json"
    if done.exists():
        return json.loads(done.read_text())
    if fresh:
        shutil.rmtree(workdir, ignore_errors=True)
    settings = to_settings(config)
    start = time.perf_counter()
    final = (train_progressive if progressive else train_and_evaluate)(settings, workdir)
    record = {
        "seconds": time.perf_counter() - start,
        "steps": int(settings.train.steps),
        "num_videos": int(settings.data.num_videos),
        "recon_psnr": final["recon/psnr"],
        "steps_per_s": final.get("perf/steps_per_s"),
        "load": load_avg(),
    }
    done.write_text(json.dumps(record, indent=1))
    return record


def step_rate(config, workdir, steps: int) -> float:
    """Steps per second of ``config`` (a ConfigDict) after compilation: the last logged rate of
    a short throwaway run of ``steps`` steps in ``workdir`` (always started afresh)."""
    from inrv_jax.config import to_settings
    from inrv_jax.train.loop import train_and_evaluate

    shutil.rmtree(workdir, ignore_errors=True)
    c = config.copy_and_resolve_references()
    c.train.steps, c.train.stages = steps, ()
    c.optim.warmup_steps = 0
    c.train.log_every = steps // 2
    c.train.eval_every = c.train.checkpoint_every = steps
    c.train.num_samples = 0
    return float(train_and_evaluate(to_settings(c), pathlib.Path(workdir))["perf/steps_per_s"])


class MemoFeatures:
    """A feature function (I3D) that remembers its answers by the clips' bytes: held-out,
    training and mean-video clips recur at every N and every seed, so they are embedded once.
    Its other attributes (name, resolution, quantize: recorded in a protocol) are the inner
    function's."""

    def __init__(self, inner):
        self.inner, self.memo = inner, {}

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def __call__(self, videos) -> np.ndarray:
        videos = np.ascontiguousarray(videos)
        key = (hashlib.sha256(videos.tobytes()).digest(), videos.shape, videos.dtype.str)
        if key not in self.memo:
            self.memo[key] = np.asarray(self.inner(videos))
        return self.memo[key]


# ------------------------------------------------------------------ the held-out protocol's clips
ATARI_CONFIG = ROOT / "configs" / "atari.py"
HELDOUT_DATA_SEED = 1  # training runs use data seed 0
# (data seed of unseen episodes, data seed of unseen games) per split: test and validation
# clips come from different seeds, so no clip is in both.
SPLIT_SEEDS = {"test": (HELDOUT_DATA_SEED, 0), "validation": (HELDOUT_DATA_SEED + 1, 1)}


@dataclasses.dataclass(frozen=True)
class AtariClips:
    """The built-in atari clips of the latent-space protocol: ``configs/atari.py:RECIPE``
    (``recipe`` '': its base) at ``frames`` x ``size``², ``holdout_games`` never trained on."""

    frames: int = 8
    size: int = 32
    holdout_games: str = "boxing,frogger,seaquest"
    recipe: str = "wide_batch"

    @classmethod
    def from_args(cls, args) -> AtariClips:
        return cls(args.frames, args.size, args.holdout_games, getattr(args, "recipe", "") or "")


def atari_config(clips: AtariClips, num_videos: int, steps: int, **overrides):
    """``configs/atari.py`` at ``clips``' size, ``num_videos`` clips, ``steps`` steps (log ten
    times, evaluate and save once at the end, one device); ``overrides``: {"a.b": value}."""
    from inrv_jax.config import load_config, set_values

    c = load_config(f"{ATARI_CONFIG}:{clips.recipe}" if clips.recipe else str(ATARI_CONFIG))
    c.data.frames = clips.frames
    c.data.size = (clips.size, clips.size)
    c.data.num_videos = num_videos
    c.data.builtin.holdout_games = clips.holdout_games
    c.train.steps = steps
    c.optim.warmup_steps = min(int(c.optim.warmup_steps), steps // 10)
    c.train.log_every = max(1, steps // 10)
    c.train.eval_every = steps
    c.train.checkpoint_every = steps
    c.train.num_samples = 4
    c.train.progress = False
    c.mesh.data, c.mesh.model = 1, 1
    set_values(c, overrides)
    return c


def unseen_from(train_data, num: int, seed: int, split: str | None = None, seen=None):
    """``heldout_protocol.unseen_clips`` of ``train_data``'s data under data ``seed`` (and
    ``builtin.split``): the first ``num`` clips sharing no frame with its training clips.

    Args:
      train_data: the training run's ``settings.data`` (``DataSettings``).
      seen: the training clips' ``frame_digests`` when already computed.
    Returns:
      (f32[num, T, H, W, 3] in [-1, 1], skipped candidate indices).
    """
    from inrv_jax import settings as settings_lib
    from inrv_jax.data import source_from_settings
    from inrv_jax.tasks.heldout_protocol import CANDIDATES_PER_CLIP, frame_digests, unseen_clips

    if seen is None:
        seen = frame_digests(source_from_settings(train_data))
    changes = {"seed": seed, "num_videos": CANDIDATES_PER_CLIP * num}
    if split is not None:
        changes["builtin"] = {**train_data.builtin, "split": split}
    data = settings_lib.replace(train_data, changes)
    what = f"data seed {seed}" + (f" {split}" if split else "")
    return unseen_clips(source_from_settings(data), seen, num, what)


def heldout_sets(clips: AtariClips, train_videos: int, num: int, split: str = "test",
                 which=("episodes", "games")):  # fmt: skip
    """The held-out sets of a run trained on the first ``train_videos`` atari ``clips``:
    ``episodes`` (the training games played from other start states: another data seed) and
    ``games`` (the held-out games), ``num`` clips each sharing no frame with a training clip.

    Args:
      split: ``test`` (the scored clips) or ``validation`` (the clips each task's method is
        chosen on): other data seeds, ``SPLIT_SEEDS``.
      which: the sets to make.
    Returns:
      ({set: f32[num, T, H, W, 3] in [-1, 1]}, {set: skipped candidate indices}).
    """
    from inrv_jax.config import to_settings
    from inrv_jax.data import source_from_settings
    from inrv_jax.tasks.heldout_protocol import frame_digests

    train_data = to_settings(atari_config(clips, train_videos, 1)).data
    seen = frame_digests(source_from_settings(train_data))
    seeds = dict(zip(("episodes", "games"), SPLIT_SEEDS[split], strict=True))
    games = {"episodes": "train", "games": "heldout_games"}
    sets, skipped = {}, {}
    for name in which:
        sets[name], skipped[name] = unseen_from(train_data, num, seeds[name], games[name], seen)
    return sets, skipped


def heldout_settings(args):
    """``heldout_protocol.HeldoutSettings`` from a script's flags (``--inversion-steps``,
    ``--inversion-pixels``, ``--seed``, ``--tasks`` when it has one)."""
    from inrv_jax.tasks.heldout_protocol import HeldoutSettings

    tasks = getattr(args, "tasks", None)
    return HeldoutSettings(
        **({"tasks": tuple(tasks)} if tasks else {}),
        inversion_steps=args.inversion_steps,
        inversion_pixels=args.inversion_pixels,
        seed=args.seed,
    )
