"""Two real JAX processes (2 CPU devices each) == one process with 4 devices."""

import json
import os
import pathlib
import subprocess
import sys

import jax
import numpy as np

from inrv_jax.checkpoint import load_trained

ROOT = pathlib.Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "launch"))
from local_multiprocess import launch  # noqa: E402

ARGS = [
    "--config", "configs/shapes.py:small",
    "--config.train.steps=3", "--config.train.log_every=1", "--config.train.sample_frac=0.5",
    "--config.train.checkpoint_every=3", "--config.train.progress=false",
    "--config.train.eval_every=0", "--config.train.num_samples=1",
    "--config.optim.warmup_steps=0",
    "--config.mesh.data=2", "--config.mesh.model=2",  # heads sharded across the processes
]  # fmt: skip


def _losses(workdir):
    rows = [json.loads(x) for x in (workdir / "metrics.jsonl").read_text().splitlines()]
    return [r["train/loss"] for r in rows if "train/loss" in r]


def test_two_processes_match_one_process_with_four_devices(tmp_path):
    multi = tmp_path / "multi"
    codes = launch(2, 2, [*ARGS, "--workdir", str(multi)], timeout=600)
    logs = "\n".join(p.read_text()[-3000:] for p in sorted(multi.glob("process_*.log")))
    assert codes == [0, 0], logs
    single = tmp_path / "single"
    env = {**os.environ, "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=4"}  # fmt: skip
    subprocess.run(
        [sys.executable, str(ROOT / "launch" / "train.py"), *ARGS, "--workdir", str(single)],
        env=env, check=True, cwd=ROOT, capture_output=True, timeout=600,
    )  # fmt: skip
    np.testing.assert_allclose(_losses(multi), _losses(single), rtol=1e-6)
    assert len(_losses(multi)) == 3
    a, b = load_trained(multi), load_trained(single)
    assert a.step == b.step == 3
    for x, y in zip(jax.tree.leaves(a.params), jax.tree.leaves(b.params), strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
