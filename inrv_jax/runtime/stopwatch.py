"""Wall-clock time with JAX's compilation taken out.

Comparing two methods by seconds is only fair when both pay for compilation or neither does.
``Stopwatch`` counts the wall-clock time of a block and, separately, the time JAX itself reports
spending on tracing, lowering and backend compilation inside it (``jax.monitoring`` duration
events), so ``seconds`` is the optimisation's own time however many programs it compiled::

    with Stopwatch() as clock:
        result = jitted(x)
        jax.block_until_ready(result)   # dispatch is asynchronous: wait before reading the clock
    clock.seconds, clock.compile_seconds

A stopwatch reads its clock at any time (``elapsed()``), e.g. to stop a loop at a budget. Compile
events of other threads while a stopwatch runs count against it too (none of this project's
timed code compiles on another thread).
"""

from __future__ import annotations

import threading
import time

import jax

# The events jax records around every compilation (jax._src.dispatch): trace, lower, compile.
COMPILE_EVENTS = frozenset(
    {
        "/jax/core/compile/jaxpr_trace_duration",
        "/jax/core/compile/jaxpr_to_mlir_module_duration",
        "/jax/core/compile/backend_compile_duration",
    }
)

_running: list[Stopwatch] = []
_lock = threading.Lock()
_registered = False


def _on_duration(event: str, seconds: float, **kwargs) -> None:
    if event in COMPILE_EVENTS:
        with _lock:
            for watch in _running:
                watch.compile_seconds += seconds


def _register() -> None:
    global _registered
    with _lock:
        if not _registered:  # listeners cannot be removed: one for the process
            jax.monitoring.register_event_duration_secs_listener(_on_duration)
            _registered = True


class Stopwatch:
    """Context manager: ``wall`` seconds of the block, ``compile_seconds`` of JAX compilation
    inside it, ``seconds`` = wall - compile. Reusable: each ``with`` adds to the totals."""

    def __init__(self):
        self.wall = 0.0
        self.compile_seconds = 0.0
        self._start: float | None = None

    def __enter__(self) -> Stopwatch:
        _register()
        self._start = time.perf_counter()
        with _lock:
            _running.append(self)
        return self

    def __exit__(self, *exc) -> None:
        with _lock:
            _running.remove(self)
        self.wall += time.perf_counter() - self._start
        self._start = None

    def elapsed(self) -> float:
        """Seconds so far without compilation (inside the block: up to now)."""
        wall = self.wall + (time.perf_counter() - self._start if self._start is not None else 0.0)
        return wall - self.compile_seconds

    @property
    def seconds(self) -> float:
        return self.elapsed()
