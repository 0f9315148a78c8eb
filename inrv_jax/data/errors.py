"""The one exception type of the data layer."""

from __future__ import annotations

from inrv_jax.errors import UserError


class DataError(UserError, ValueError):
    """A video source that cannot be used as asked, with the file, the reason and the fix.

    Attributes:
      path: the file, folder or built-in id at fault ("" when the problem is not one input's).
      reason: a short machine-readable kind, e.g. "missing", "too_short", "grayscale".
      fix: one sentence telling the user what to do.
    """

    def __init__(self, path: str, reason: str, detail: str, fix: str = ""):
        self.path = str(path)
        self.reason = reason
        self.detail = detail
        self.fix = fix
        where = f"{self.path}: " if self.path else ""
        message = f"{where}{detail} [{reason}]"
        if fix:
            message += f". Fix: {fix}"
        super().__init__(message)
