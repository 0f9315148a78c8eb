"""Run N real JAX processes on this machine (loopback coordinator, gloo CPU collectives).

    python launch/local_multiprocess.py --num-processes 2 --devices-per-process 2 -- \\
        --config configs/shapes.py:small --workdir runs/mp

Each process gets ``--devices-per-process`` simulated CPU devices, so the global mesh has
N × D devices, exactly as N hosts of D accelerators would. This is the test harness for the
multi-host code path (tests/train/test_multiprocess.py) and a way to try a pod layout locally.
Exits non-zero if any process fails; each process's output goes to WORKDIR/process_I.log.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import socket
import subprocess
import sys


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(num_processes: int, devices_per_process: int, train_args: list[str], timeout=900):
    """Start the processes, wait for all, return their exit codes."""
    workdir = pathlib.Path(train_args[train_args.index("--workdir") + 1])
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = dict(os.environ)
    env["JAX_PLATFORMS"] = "cpu"
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices_per_process}"
    entry = pathlib.Path(__file__).with_name("train.py")
    procs = []
    for i in range(num_processes):
        cmd = [
            sys.executable,
            str(entry),
            *train_args,
            f"--config.distributed.coordinator=127.0.0.1:{port}",
            f"--config.distributed.num_processes={num_processes}",
            f"--config.distributed.process_id={i}",
        ]
        log = open(workdir / f"process_{i}.log", "w")  # noqa: SIM115 - closed below
        procs.append((subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT), log))
    codes = []
    try:
        for proc, log in procs:
            codes.append(proc.wait(timeout=timeout))
            log.close()
    finally:
        for proc, _ in procs:
            if proc.poll() is None:
                proc.kill()
    return codes


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--num-processes", type=int, default=2)
    p.add_argument("--devices-per-process", type=int, default=2)
    p.add_argument("train_args", nargs=argparse.REMAINDER, help="-- then `inrv train` arguments")
    args = p.parse_args(argv)
    train_args = [a for a in args.train_args if a != "--"]
    codes = launch(args.num_processes, args.devices_per_process, train_args)
    for i, code in enumerate(codes):
        print(f"process {i}: exit {code}")
    return max(codes, key=abs)


if __name__ == "__main__":
    sys.exit(main())
