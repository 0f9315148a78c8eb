"""`ClipOptions`: every setting that shapes the clips of a source, in one frozen value.

Built once (from the `data` settings, the `inrv data` flags, or keywords) and carried
through opening, checking and loading a source, so no function spells the list out again.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from typing import Any

from inrv_jax.data.parsing import CropBox, parse_crop
from inrv_jax.data.preprocess import Preprocess, window_span
from inrv_jax.settings import DataSettings

WINDOWS = ("start", "random")
ON_ERROR = ("raise", "skip")


@dataclasses.dataclass(frozen=True)
class ClipOptions:
    """How a spec's videos become clips.

    Attributes:
      frames: T, frames per clip.
      size: (H, W) of every frame (an int means square).
      crop: "center" (default), "none", (y0, y1, x0, x1) or "y0:y1,x0:x1" (see `parse_crop`).
      stride: take every stride-th source frame.
      window: "start" (first frames) or "random" (a window drawn on every load).
      data_dir: TFDS data dir, or the base for relative paths of a list file.
      on_error: "raise" stops on the first bad video; "skip" leaves it out (see `VideoSource`).
      num_videos: keep the first N usable videos; for built-ins, how many to make.
      seed: built-in generation seed and default random-window seed.
      cache_dir: mirror decoded clips here so later runs never decode again.
      preload: decode all clips when the source opens (validates everything); False decodes
        on first load (only window="start").
      grayscale, alpha, high_bit_depth: colour policies, see `Preprocess`.
      builtin: options of a built-in dataset (e.g. `count`, `hop`, `length`); read-only.
    """

    frames: int
    size: tuple[int, int]
    crop: str | CropBox = "center"
    stride: int = 1
    window: str = "start"
    data_dir: str | None = None
    on_error: str = "raise"
    num_videos: int | None = None
    seed: int = 0
    cache_dir: str | None = None
    preload: bool = True
    grayscale: str = "convert"
    alpha: str = "drop"
    high_bit_depth: str = "error"
    builtin: Mapping[str, Any] = dataclasses.field(default_factory=dict, hash=False)

    def __post_init__(self):
        size = self.size
        size = (size, size) if isinstance(size, int) else tuple(size)
        if len(size) != 2:
            raise ValueError(f"size must be (H, W) or one int, got {self.size!r}")
        num = self.num_videos
        set_ = object.__setattr__
        set_(self, "size", (int(size[0]), int(size[1])))
        set_(self, "crop", parse_crop(self.crop))
        set_(self, "frames", int(self.frames))
        set_(self, "stride", int(self.stride))
        set_(self, "seed", int(self.seed))
        set_(self, "num_videos", None if num is None else int(num))
        set_(self, "data_dir", self.data_dir or None)  # configs spell "unset" as "" too
        set_(self, "cache_dir", self.cache_dir or None)
        set_(self, "preload", bool(self.preload))
        set_(self, "builtin", types.MappingProxyType(dict(self.builtin)))
        if self.window not in WINDOWS:
            raise ValueError(f"window must be one of {WINDOWS}, got {self.window!r}")
        if self.on_error not in ON_ERROR:
            raise ValueError(f"on_error must be 'raise' or 'skip', got {self.on_error!r}")
        if self.frames < 1 or self.stride < 1:
            raise ValueError(f"frames and stride must be >= 1, got {self.frames}, {self.stride}")
        if not self.preload and self.window != "start":
            raise ValueError("preload=False needs window='start' (random windows need lengths)")
        self.preprocess()  # checks size and the colour policies now, not at the first video

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_kwargs(cls, **kwargs) -> ClipOptions:
        """Fields by keyword; any other keyword is a built-in dataset option (`builtin`)."""
        known = {k: v for k, v in kwargs.items() if k in cls.field_names()}
        extra = {k: v for k, v in kwargs.items() if k not in known}
        return cls(**known, builtin={**known.pop("builtin", {}), **extra})

    @classmethod
    def from_settings(cls, data: DataSettings) -> ClipOptions:
        """From the `data` settings: fields named like these; the others (spec,
        features_path) are not clip options; fields the settings lack keep their defaults."""
        names = {f.name for f in dataclasses.fields(data)}
        values = {name: getattr(data, name) for name in cls.field_names() if name in names}
        return cls(**values)

    def override(self, **kwargs) -> ClipOptions:
        """A copy with fields replaced; other keywords are added to the built-in options."""
        known = {k: v for k, v in kwargs.items() if k in self.field_names()}
        extra = {k: v for k, v in kwargs.items() if k not in known}
        builtin = {**known.pop("builtin", self.builtin), **extra}
        return dataclasses.replace(self, **known, builtin=builtin)

    def preprocess(self) -> Preprocess:
        """The per-frame crop/resize/colour policy these options name."""
        return Preprocess(
            size=self.size,
            crop=self.crop,
            grayscale=self.grayscale,
            alpha=self.alpha,
            high_bit_depth=self.high_bit_depth,
        )

    @property
    def span(self) -> int:
        """Source frames one clip covers: (frames - 1) * stride + 1."""
        return window_span(self.frames, self.stride)
