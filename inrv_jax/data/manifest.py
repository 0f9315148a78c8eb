"""The manifest: which source clip owns code row i.

It is saved with every checkpoint so that learned codes stay attached to the right videos across
resume, progressive stages and tasks that name a training video by path.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os

from inrv_jax.data.errors import DataError

FORMAT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class ManifestEntry:
    """One training video.

    Attributes:
      index: its code row.
      path: the file or frame folder as given in the spec, or a built-in id such as
        "shapes/3" or "sample_clips/bikes.mp4".
      frame_start, frame_stop, stride: the source frames used, range(frame_start, frame_stop,
        stride); for random windows the range the window is drawn from.
      sha256: hash of the source's content: the file bytes (a frame folder: its frame files in
        order), or for procedural built-ins the rendered uint8 clip. It identifies the source
        independently of the decoder version.
    """

    index: int
    path: str
    frame_start: int
    frame_stop: int
    stride: int
    sha256: str

    def key(self) -> str:
        """Hash of (content, frame range): two entries with equal keys are the same clip."""
        text = f"{self.sha256}:{self.frame_start}:{self.frame_stop}:{self.stride}"
        return hashlib.sha256(text.encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Manifest:
    """Ordered entries (entry i has index i) plus the settings that shaped the clips.

    `settings` records frames, size, crop, window and spec, so a resumed run can tell whether
    it is being fed the same data.
    """

    entries: tuple[ManifestEntry, ...]
    settings: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "entries", tuple(self.entries))
        # JSON-normalise (tuples -> lists) so a manifest equals its own round trip.
        object.__setattr__(self, "settings", json.loads(json.dumps(self.settings, default=str)))
        for i, e in enumerate(self.entries):
            if e.index != i:
                raise ValueError(f"manifest entry {i} has index {e.index}")

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, i: int) -> ManifestEntry:
        return self.entries[i]

    def __iter__(self):
        return iter(self.entries)

    @property
    def paths(self) -> list[str]:
        return [e.path for e in self.entries]

    def index_of(self, path: str) -> int:
        """Code row of a training video named by path (as in the spec, or absolute) or id.

        Raises DataError when the path names no entry or several (clips cut from one file:
        then name it as "path@frame_start").
        """
        name, _, start = path.rpartition("@") if "@" in path else (path, "", "")
        wanted = {name, os.path.abspath(name)} if name else set()
        hits = [
            e.index
            for e in self.entries
            if (e.path in wanted or os.path.abspath(e.path) in wanted)
            and (not start or str(e.frame_start) == start)
        ]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise DataError(
                path, "not_in_manifest", "names no training video", "use a path from the manifest"
            )
        raise DataError(
            path,
            "ambiguous",
            f"names {len(hits)} clips (rows {hits[:5]}...)",
            'add the first frame, e.g. "PATH@16"',
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": FORMAT_VERSION,
                "settings": self.settings,
                "entries": [dataclasses.asdict(e) for e in self.entries],
            },
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if data.get("version") != FORMAT_VERSION:
            raise DataError(
                "", "manifest_version", f"unknown manifest version {data.get('version')}"
            )
        return cls(
            entries=tuple(ManifestEntry(**e) for e in data["entries"]),
            settings=data.get("settings", {}),
        )

    def same_videos(self, other: Manifest) -> bool:
        """True when both list the same clips in the same order (settings ignored)."""
        return [e.key() for e in self.entries] == [e.key() for e in other.entries]
