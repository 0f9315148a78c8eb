"""Workdir ownership: one live run per workdir, and stop requests from signals."""

from __future__ import annotations

import fcntl
import os
import pathlib
import signal

from inrv_jax.errors import UserError


class WorkdirInUseError(UserError, RuntimeError):
    """Another live run holds the workdir's lock."""


class WorkdirLock:
    """An exclusive ``flock`` on ``WORKDIR/.lock`` held for the life of the run.

    The kernel drops the lock when the process dies, so a crashed run never blocks the
    next one, while a live run always refuses a second.
    """

    def __init__(self, workdir):
        self.path = pathlib.Path(workdir) / ".lock"
        self.file = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.path, "a+")  # noqa: SIM115 - held until __exit__
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.seek(0)
            owner = self.file.read().strip() or "another process"
            self.file.close()
            raise WorkdirInUseError(
                f"workdir {self.path.parent} is in use by a live run (pid {owner}); "
                "wait for it to finish, stop it, or choose another --workdir"
            ) from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(str(os.getpid()))
        self.file.flush()
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


class StopRequest:
    """Turns SIGTERM/SIGINT into a flag the loop checks, so it can checkpoint and exit."""

    def __init__(self):
        self.signum = None
        self._old = {}

    def __enter__(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: signals stay with the caller
                pass
        return self

    def _handle(self, signum, frame):
        if self.signum is not None:  # second signal: stop now
            raise KeyboardInterrupt
        self.signum = signum

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def __bool__(self):
        return self.signum is not None
