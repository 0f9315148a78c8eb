"""What counts as the user's problem, not a bug: the base type and the shared kinds.

Every error whose message already tells the user what to change subclasses ``UserError``:
``ConfigError`` and ``InputError`` here, and the domain types next to their code
(``DataError``, ``CheckpointError``, ``MaskError``, ``WorkdirInUseError``, ...). The ``inrv``
command prints a ``UserError`` as one line, ``inrv COMMAND: error: MESSAGE``, and exits 2; any
other exception is a bug and keeps its traceback.

Two environment failures are recognised by their symptoms wherever they come from:
``disk_full(err)`` (ENOSPC/EDQUOT, also as tensorstore reports it inside orbax) and
``out_of_memory(err)`` (XLA ``RESOURCE_EXHAUSTED`` at compile or run time, numpy's
``MemoryError``). ``as_user_error`` turns them, and unwritable outputs, into user errors.
"""

from __future__ import annotations

import errno
import re


class UserError(Exception):
    """A problem with what was asked or with the machine, not a bug; the message names the input
    and the fix."""


class ConfigError(UserError, ValueError):
    """An invalid or inconsistent config value; the message names the key."""


class InputError(UserError, ValueError):
    """A bad command argument or task input (an index out of range, a latent of the wrong shape,
    an unknown output format); the message names the argument."""


class MissingResourceError(UserError, FileNotFoundError):
    """A packaged resource (network weights) that is not installed; the message says how to."""


class DiskFullError(UserError):
    """No space left where the run writes; the message says what was kept and what to do."""


class OutOfMemoryError(UserError):
    """An allocation that did not fit (host or accelerator); the message names the knobs."""


_DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
# tensorstore (orbax's writer) reports ENOSPC inside a RESOURCE_EXHAUSTED ValueError.
_DISK_FULL_TEXT = re.compile(
    r"No space left on device|Disk quota exceeded|os_error_code='(?:{}|{})'".format(
        *_DISK_FULL_ERRNOS
    )
)
_OOM_TEXT = re.compile(r"RESOURCE_EXHAUSTED|[Oo]ut of memory|Unable to allocate")
# "allocating 4398046511104 bytes", "allocate 123 bytes", "(13421772800B)", "4.00 TiB", "12.5GiB"
_BYTES = re.compile(r"(\d+) ?bytes|\((\d+)B\)")
_HUMAN = re.compile(r"(\d+(?:\.\d*)?) ?([KMGT]i?B)\b")
# Unwritable outputs: the user's filesystem, not the program.
_UNWRITABLE_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS)


def _chain(err: BaseException):
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        yield err
        err = err.__cause__ or err.__context__


def disk_full(err: BaseException) -> bool:
    """True when ``err`` (or what caused it) is a full disk or an exhausted quota."""
    for e in _chain(err):
        if isinstance(e, DiskFullError):
            return True
        if isinstance(e, OSError) and e.errno in _DISK_FULL_ERRNOS:
            return True
        if _DISK_FULL_TEXT.search(str(e)):
            return True
    return False


def out_of_memory(err: BaseException) -> bool:
    """True for an allocation failure: XLA ``RESOURCE_EXHAUSTED`` (compile or run time, host or
    device) or numpy's ``MemoryError``; a full disk is not one."""
    if disk_full(err):
        return False
    for e in _chain(err):
        if isinstance(e, MemoryError):
            return True
        if isinstance(e, RuntimeError) and _OOM_TEXT.search(str(e)):  # JaxRuntimeError
            return True
    return False


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def failed_size(err: BaseException) -> str | None:
    """The size of the allocation that failed, as the error message states it."""
    for e in _chain(err):
        text = str(e)
        m = _BYTES.search(text)
        if m:
            return human_bytes(int(m.group(1) or m.group(2)))
        m = _HUMAN.search(text)
        if m:
            return f"{m.group(1).rstrip('.')} {m.group(2)}"
    return None


def out_of_memory_error(err: BaseException, knobs) -> OutOfMemoryError:
    """One line for an allocation failure: what did not fit and the settings that lower memory."""
    size = failed_size(err)
    what = f"could not allocate {size}" if size else "an allocation failed"
    where = "XLA" if not isinstance(err, MemoryError) else "host memory"
    hint = f"; lower memory with {', '.join(knobs)}" if knobs else ""
    return OutOfMemoryError(f"out of memory ({where}: {what}){hint}")


def as_user_error(err: BaseException, memory_knobs=()) -> UserError | None:
    """``err`` as the user error it is, or None when it is a bug.

    Args:
      memory_knobs: the settings of the failing command that lower memory, named in the
        out-of-memory message.
    """
    if isinstance(err, UserError):
        return err
    if disk_full(err):
        where = f" writing {err.filename}" if getattr(err, "filename", None) else ""
        return DiskFullError(f"disk full{where}: free space there and run the command again")
    if out_of_memory(err):
        return out_of_memory_error(err, memory_knobs)
    if isinstance(err, OSError) and err.errno in _UNWRITABLE_ERRNOS and err.filename:
        return InputError(f"cannot access {err.filename}: {err.strerror}")
    return None
