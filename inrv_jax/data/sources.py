"""Opening a video source: one spec string names an ordered list of clips with a manifest.

`open_source(spec, options)` resolves the spec into clips (`inrv_jax.data.resolve`, where the
spec forms are listed) and validates them into a `VideoSource` (`inrv_jax.data.video_source`).
Options are one `ClipOptions` (`inrv_jax.data.options`), or the same fields as keywords.
"""

from __future__ import annotations

from inrv_jax.data.builtin import DATASETS
from inrv_jax.data.clip import Clip
from inrv_jax.data.files import file_clip, read_list_file
from inrv_jax.data.options import WINDOWS, ClipOptions
from inrv_jax.data.resolve import find_kind, resolve_clips
from inrv_jax.data.video_source import VideoSource
from inrv_jax.settings import DataSettings

BUILTIN_NAMES = tuple(DATASETS)
_read_list_file = read_list_file  # the name inrv_jax.official.importer uses

__all__ = [
    "BUILTIN_NAMES",
    "WINDOWS",
    "Clip",
    "ClipOptions",
    "VideoSource",
    "file_clip",
    "open_source",
    "source_from_settings",
]


def open_source(spec: str, options: ClipOptions | None = None, /, **kwargs) -> VideoSource:
    """Opens and validates a video source. See `inrv_jax.data.resolve` for `spec`.

    Args:
      spec: list file, folder, video, `tfds:NAME[/SPLIT]` or built-in name.
      options: the clip options (frames, size, crop, window, ...; see `ClipOptions`).
      **kwargs: `ClipOptions` fields, overriding `options` or, without it, making them
        (`frames` and `size` are then required); other keywords are built-in dataset options
        (e.g. `count`, `hop`, `length`).

    Returns:
      A `VideoSource`; `load(i)` gives uint8 [T, H, W, 3].
    """
    if options is None:
        options = ClipOptions.from_kwargs(**kwargs)
    elif kwargs:
        options = options.override(**kwargs)
    prep, clips, settings = resolve_clips(spec, options)
    return VideoSource(clips, options, prep=prep, settings=settings)


def source_from_settings(data: DataSettings) -> VideoSource:
    """Opens the source the `data` settings describe: `spec` and the `ClipOptions` fields;
    `builtin` is ignored unless the spec is a built-in dataset (so a config may keep them
    around for other specs)."""
    options = ClipOptions.from_settings(data)
    if not find_kind(data.spec).takes_builtin_options:
        options = options.override(builtin={})
    return open_source(data.spec, options)
