"""Validation of a whole source, reporting every problem of every video (`inrv data check`)."""

from __future__ import annotations

import dataclasses

from inrv_jax.data.clip import check_duplicate, too_short
from inrv_jax.data.errors import DataError
from inrv_jax.data.options import ClipOptions
from inrv_jax.data.resolve import resolve_clips


@dataclasses.dataclass
class VideoReport:
    """What `check_source` found for one video."""

    path: str
    problems: list[DataError]
    notes: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "ok": self.ok,
            "problems": [{"reason": p.reason, "message": str(p)} for p in self.problems],
            "notes": self.notes,
        }


def check_source(spec: str, options: ClipOptions) -> list[VideoReport]:
    """Decodes every video of `spec` as training would and collects all problems.

    Unlike `open_source`, nothing stops at the first problem: each video gets a report with
    every problem found (a fatal one, such as a missing file, ends that video's checks).
    Problems with the spec itself (missing list file, empty list) raise `DataError`.
    `options.on_error`, `cache_dir` and `preload` do not apply.
    """
    _, clips, _ = resolve_clips(spec, options)
    frames, stride, span = options.frames, options.stride, options.span
    seen_paths: dict = {}
    seen_content: dict = {}
    reports = []
    for clip in clips:
        problems: list[DataError] = []
        notes: list[str] = []
        try:
            sha = clip.sha256()
            try:
                check_duplicate(clip, sha, seen_paths, seen_content)
            except DataError as err:
                problems.append(err)
            if options.window == "start":
                _, available = clip.read(0, span, stride, problems, notes)
            else:
                _, available = clip.read(0, None, 1, problems, notes)
            if available < span:
                problems.append(too_short(clip.path, available, frames, stride))
        except DataError as err:
            problems.append(err)
        reports.append(VideoReport(clip.path, problems, notes))
    return reports
