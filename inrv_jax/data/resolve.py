"""Spec strings -> clips, through a registry of source kinds.

Spec strings (config key `data.spec` and every CLI command) are tried against `SOURCE_KINDS`
in order; the first kind whose `matches(spec)` holds makes the clips:
  - a built-in name: `shapes`, `moving_digits`, `sample_clips`, `atari` (see
    `inrv_jax.data.builtin`); write `./shapes` to mean a folder of that name;
  - `tfds:NAME[/SPLIT]` with `data_dir` (see `inrv_jax.data.tfds_io`);
  - a directory: its video files and frame folders, sorted by name;
  - a single video file (or a frame folder, as a directory of images only) is a source of one;
  - a list file: one video file or frame folder per line (see `inrv_jax.data.files`).
Adding a kind is one entry here (and the module that makes its clips).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from inrv_jax.data import builtin, files, tfds_io
from inrv_jax.data.clip import Clip
from inrv_jax.data.errors import DataError
from inrv_jax.data.options import ClipOptions
from inrv_jax.data.preprocess import Preprocess


@dataclasses.dataclass(frozen=True)
class SourceKind:
    """One kind of spec.

    Attributes:
      matches: spec -> whether this kind reads it.
      clips: (spec, prep, options) -> the clips, in training order.
      hint: how a user writes a spec of this kind (for the error when nothing matches).
      takes_builtin_options: whether `options.builtin` means something to this kind (other
        kinds reject them, so a misspelled spec does not silently drop them).
    """

    matches: Callable[[str], bool]
    clips: Callable[[str, Preprocess, ClipOptions], list[Clip]]
    hint: str
    takes_builtin_options: bool = False


_PATH_HINT = "an existing path (list file, folder or video)"

# Tried in order; the first match wins.
SOURCE_KINDS: dict[str, SourceKind] = {
    "builtin": SourceKind(
        builtin.is_builtin,
        builtin.make_clips,
        f"one of {', '.join(builtin.DATASETS)}",
        takes_builtin_options=True,
    ),
    "tfds": SourceKind(tfds_io.is_tfds, tfds_io.source_clips, "tfds:NAME[/SPLIT]"),
    "directory": SourceKind(files.is_directory, files.directory_clips, _PATH_HINT),
    "video_file": SourceKind(files.is_video_file, files.video_file_clips, _PATH_HINT),
    "list_file": SourceKind(files.is_list_file, files.list_file_clips, _PATH_HINT),
}


def find_kind(spec: str) -> SourceKind:
    """The kind that reads `spec`; DataError "missing" when none does."""
    for kind in SOURCE_KINDS.values():
        if kind.matches(spec):
            return kind
    hints = list(dict.fromkeys(k.hint for k in SOURCE_KINDS.values()))
    raise DataError(
        spec,
        "missing",
        "no such list file, folder or built-in dataset",
        f"give {', '.join(hints[:-1])} or {hints[-1]}",
    )


def resolve_clips(spec: str, options: ClipOptions) -> tuple[Preprocess, list[Clip], dict]:
    """The preprocessing and clips of a spec, as training and `inrv data check` both use them.

    Returns:
      (prep, clips, settings describing the source, recorded in the manifest).
    """
    kind = find_kind(spec)
    settings: dict = {"spec": spec}
    if kind.takes_builtin_options:
        settings["builtin"] = dict(options.builtin)
    elif options.builtin:
        raise TypeError(f"options {sorted(options.builtin)} apply only to built-in datasets")
    prep = options.preprocess()
    return prep, kind.clips(spec, prep, options), settings
