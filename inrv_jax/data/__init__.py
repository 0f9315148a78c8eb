"""Video data: sources (files, folders, TFDS, built-ins), manifest, clip cache and loader.

source = open_source("shapes", frames=8, size=(32, 32))
loader = make_loader(source, batch_size=4, seed=0)
for batch in loader:  # {"index": int32 [B], "video": float32 [B, T, H, W, 3] in [-1, 1]}
    ...
"""

from inrv_jax.data.errors import DataError
from inrv_jax.data.manifest import Manifest, ManifestEntry
from inrv_jax.data.pipeline import make_loader
from inrv_jax.data.preprocess import Preprocess, to_unit_range
from inrv_jax.data.sources import VideoSource, open_source, source_from_config

__all__ = [
    "DataError",
    "Manifest",
    "ManifestEntry",
    "Preprocess",
    "VideoSource",
    "make_loader",
    "open_source",
    "source_from_config",
    "to_unit_range",
]
