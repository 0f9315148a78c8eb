"""Validation of a whole source, reporting every problem of every video (`inrv data check`)."""

from __future__ import annotations

import dataclasses

from inrv_jax.data.errors import DataError
from inrv_jax.data.preprocess import window_span
from inrv_jax.data.sources import check_duplicate, prepare_clips, too_short


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


def check_source(
    spec: str,
    *,
    frames: int,
    size: tuple[int, int],
    crop="center",
    stride: int = 1,
    window: str = "start",
    data_dir: str | None = None,
    num_videos: int | None = None,
    seed: int = 0,
    grayscale: str = "convert",
    alpha: str = "drop",
    high_bit_depth: str = "error",
    **builtin_kwargs,
) -> list[VideoReport]:
    """Decodes every video of `spec` as training would and collects all problems.

    Unlike `open_source`, nothing stops at the first problem: each video gets a report with
    every problem found (a fatal one, such as a missing file, ends that video's checks).
    Problems with the spec itself (missing list file, empty list) raise `DataError`.
    """
    _, clips, _ = prepare_clips(
        spec,
        frames=frames,
        size=size,
        crop=crop,
        stride=stride,
        data_dir=data_dir,
        num_videos=num_videos,
        seed=seed,
        grayscale=grayscale,
        alpha=alpha,
        high_bit_depth=high_bit_depth,
        builtin_kwargs=builtin_kwargs,
    )
    span = window_span(frames, stride)
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
            if window == "start":
                _, available = clip.read(0, span, stride, problems, notes)
            else:
                _, available = clip.read(0, None, 1, problems, notes)
            if available < span:
                problems.append(too_short(clip.path, available, frames, stride))
        except DataError as err:
            problems.append(err)
        reports.append(VideoReport(clip.path, problems, notes))
    return reports
