"""Video data: sources (files, folders, TFDS, built-ins), manifest, clip cache and loader.

source = open_source("shapes", ClipOptions(frames=8, size=(32, 32)))  # or frames=8, size=...
loader = make_loader(source, batch_size=4, seed=0)
for batch in loader:  # {"index": int32 [B], "video": float32 [B, T, H, W, 3] in [-1, 1]}
    ...

Modules, each importing only from modules on the lines above it (no cycles, no hidden
function-local imports; `tensorflow_datasets` alone is imported lazily, it is slow;
tests/data/test_layering.py holds the same list and enforces it):
  errors, cache                 the DataError type; the decoded-clip cache
  parsing, manifest             "H,W" / "y0:y1,x0:x1" parsers; code row -> video
  preprocess                    crop, resize, colour policy (`Preprocess`)
  options, decode               `ClipOptions`; PyAV decoding of one file or frame folder
  clip                          `Clip` and the checks shared by opening and `inrv data check`
  files, builtin, video_source  kinds on disk; built-in datasets; `VideoSource`
  tfds_io                       the `tfds:` kind and `write_tfds`
  resolve                       the registry of source kinds: spec -> clips
  sources                       `open_source`, `source_from_settings`
  check, pipeline               `check_source`; the grain loader
  cli                           `inrv data ...`
"""

import importlib

from inrv_jax.data.errors import DataError
from inrv_jax.data.manifest import Manifest, ManifestEntry
from inrv_jax.data.options import ClipOptions
from inrv_jax.data.preprocess import Preprocess
from inrv_jax.data.sources import VideoSource, open_source, source_from_settings
from inrv_jax.pixels import to_unit_range

__all__ = [
    "ClipOptions",
    "DataError",
    "Manifest",
    "ManifestEntry",
    "Preprocess",
    "VideoSource",
    "make_loader",
    "open_source",
    "source_from_settings",
    "to_unit_range",
]


def __getattr__(name: str):
    # ``make_loader`` is loaded on first use: its module imports grain, which imports jax and
    # orbax, and ``inrv data --help`` (or anything importing a data module) should not pay that.
    if name == "make_loader":
        return importlib.import_module("inrv_jax.data.pipeline").make_loader
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
