"""Opt-in host allocator tuning: keep freed memory so XLA:CPU's per-step buffers are reused.

XLA:CPU allocates each executable's temporary buffer with ``malloc`` on every call. With
glibc's defaults a block that large is ``mmap``-ed and returned to the kernel when freed (or,
in a thread's arena, ``madvise``-d away), so the next step touches fresh pages that the kernel
zero-fills again: for the official model's train step that is the 57M-parameter gradient,
~58k page faults and ~0.1 CPU-second of kernel time per step on the 2-core dev machine
(``benchmarks/bench_train.py`` records both per step).

``retain_freed_memory`` sets three glibc ``mallopt`` knobs: one arena, no ``mmap`` for large
blocks, no trimming. Freed blocks stay in the process heap and are reused without faults.
Measured (benchmarks/README.md): official step 16x32x32x2 0.43-0.48 -> 0.36-0.37 s, within
noise at 25x32x32x4 and 25x100x100x1. The price: the heap can fragment, and the resident size
never shrinks; the faithful LPIPS recipe at 25x100x100x2 *without* ``train.remat`` peaked at
13.4 GB instead of 7.7 GB (with remat, the default, both 3.8 GB). Hence opt-in:
``INRV_HOST_MALLOC=retain`` in the environment of ``inrv``, ``launch/train.py`` or the
benchmarks. No allocator library does this per process from Python (the alternatives are
``GLIBC_TUNABLES`` / ``LD_PRELOAD`` before start-up), hence these few lines. It must run
before JAX starts its threads; it is a no-op off glibc.
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

_applied = False


def retain_freed_memory(force: bool = False) -> bool:
    """Tune glibc malloc to reuse freed memory (see module docstring); safe to call again.

    Args:
      force: apply even without ``INRV_HOST_MALLOC=retain`` in the environment.

    Returns:
      True when the settings are in effect; False when not asked for (``INRV_HOST_MALLOC``
      unset or ``default``) or the C library is not glibc.
    """
    global _applied
    if _applied:
        return True
    mode = os.environ.get(ENV, "default")
    if mode not in ("default", "retain"):
        raise ValueError(f"{ENV}={mode!r}: use 'retain' or 'default'")
    if mode == "default" and not force:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        gnu_get_libc_version = libc.gnu_get_libc_version  # glibc only
    except (OSError, AttributeError):
        return False
    del gnu_get_libc_version
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    _applied = (
        mallopt(_M_ARENA_MAX, 1) == 1
        and mallopt(_M_MMAP_MAX, 0) == 1
        and mallopt(_M_TRIM_THRESHOLD, 2**31 - 1) == 1
    )
    return _applied
