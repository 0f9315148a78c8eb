"""Host allocator tuning: keep freed memory so XLA:CPU's per-step buffers are not re-faulted.

XLA:CPU allocates each executable's temporary buffer with ``malloc`` on every call. With
glibc's defaults a block that large is ``mmap``-ed and returned to the kernel when freed (or,
in a thread's arena, ``madvise``-d away), so the next step touches fresh pages and the kernel
zero-fills them again: for the official model's train step that is the 57M-parameter
gradient, ~58k page faults and ~0.1 CPU-second of kernel time per step on the 2-core dev
machine (``benchmarks/bench_train.py`` records both).

``retain_freed_memory`` sets three glibc ``mallopt`` knobs: one arena, no ``mmap`` for large
blocks, no trimming. Freed blocks then stay in the process heap and are reused; the price is
that the process's resident memory does not shrink after a peak (it is the high-water mark,
which is what a training or inversion job needs anyway). No allocator library does this
per process from Python (the alternative is ``GLIBC_TUNABLES`` or ``LD_PRELOAD`` before
start-up), hence these few lines.

The CLI (``inrv ...``), ``launch/train.py`` and the benchmarks call it at start-up unless
``INRV_HOST_MALLOC=default``. Call it before importing JAX (before its threads allocate) for
the full effect. It is a no-op off glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

ENV = "INRV_HOST_MALLOC"

# glibc <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_M_ARENA_MAX = -8

_applied: bool | None = None


def retain_freed_memory() -> bool:
    """Tune glibc malloc to reuse freed memory (see module docstring); idempotent.

    Returns:
      True when the settings are in effect; False when ``INRV_HOST_MALLOC=default`` asks for
      glibc's defaults or the C library is not glibc.
    """
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if os.environ.get(ENV, "retain") == "default":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        gnu_get_libc_version = libc.gnu_get_libc_version  # glibc only
    except (OSError, AttributeError):
        return False
    del gnu_get_libc_version
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    ok = (
        mallopt(_M_ARENA_MAX, 1) == 1
        and mallopt(_M_MMAP_MAX, 0) == 1
        and mallopt(_M_TRIM_THRESHOLD, 2**31 - 1) == 1
    )
    _applied = bool(ok)
    return _applied
