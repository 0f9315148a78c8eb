"""What every benchmark record starts with: the command, the commit, the date and the machine.

Scripts import it as ``import common`` (a script's own directory is on ``sys.path``).
"""

from __future__ import annotations

import datetime
import os
import pathlib
import platform
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def machine() -> dict:
    """Where the numbers were measured: CPU model, cores, load, accelerator, versions."""
    import jax

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
        "accelerator": jax.default_backend(),
        "jax": jax.__version__,
        "python": platform.python_version(),
    }


def commit() -> str:
    """``git describe --always --dirty`` of the checkout ("unknown" outside git)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record_header(script: str, argv: list[str] | None) -> dict:
    """{"command", "commit", "date" (UTC), "machine"} of a run of ``script`` with ``argv``
    (None: this process's own arguments)."""
    argv = sys.argv[1:] if argv is None else argv
    return {
        "command": " ".join(["python", script, *argv]),
        "commit": commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
    }
