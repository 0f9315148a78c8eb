"""TFDS round trip without TensorFlow: build from a folder, read back equal arrays."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from inrv_jax.data import ClipOptions, DataError, open_source
from inrv_jax.data.tfds_io import write_tfds

NO_TF = importlib.util.find_spec("tensorflow") is None


def build_tfds(spec, name, data_dir, *, size, frames=None, **kwargs):
    """Writes `spec` as dataset `name`: `frames` frames per video, or every frame (None)."""
    whole = {"frames": 1, "window": "random"} if frames is None else {"frames": frames}
    source = open_source(spec, ClipOptions(size=size, **whole, **kwargs))
    return write_tfds(source, name, data_dir)


@pytest.mark.skipif(not NO_TF, reason="checks the TensorFlow-free path")
def test_round_trip_never_imports_tensorflow(video_dir, tmp_path):
    build_tfds(str(video_dir), "no_tf", str(tmp_path), size=(8, 8), frames=2)
    open_source("tfds:no_tf", frames=2, size=(8, 8), data_dir=str(tmp_path)).load(0)
    assert "tensorflow" not in sys.modules


def test_round_trip_from_folder(video_dir, tmp_path):
    data_dir = str(tmp_path / "tfds")
    build_tfds(str(video_dir), "tiny_videos", data_dir, size=(16, 16))
    decoded = open_source(str(video_dir), frames=8, size=(16, 16), stride=1)
    loaded = open_source("tfds:tiny_videos/train", frames=8, size=(16, 16), data_dir=data_dir)
    assert len(loaded) == len(decoded) == 3
    for i in range(3):
        np.testing.assert_array_equal(loaded.load(i), decoded.load(i))
    # Content hashes travel with the records, so the manifests name the same videos.
    assert [e.sha256 for e in loaded.manifest] == [e.sha256 for e in decoded.manifest]
    assert loaded.manifest.paths[0] == "tfds:tiny_videos/train/0"
    # Every stored frame is there: a random window can use all 12.
    full = open_source("tfds:tiny_videos", frames=12, size=(16, 16), data_dir=data_dir)
    assert full.load(2).shape == (12, 16, 16, 3)


def test_reader_resizes_other_sizes(tmp_path):
    data_dir = str(tmp_path / "tfds")
    build_tfds("shapes", "tiny_shapes", data_dir, size=(32, 32), frames=4)
    small = open_source("tfds:tiny_shapes", frames=4, size=(8, 8), data_dir=data_dir)
    assert small.load(0).shape == (4, 8, 8, 3)


def test_missing_and_catalog_datasets_name_the_fix(tmp_path):
    with pytest.raises(DataError, match=r"inrv_jax\[tf\]") as info:
        open_source("tfds:no_such_set", frames=4, size=(8, 8), data_dir=str(tmp_path))
    assert info.value.reason == "tfds_not_found"
    # A catalog video dataset that is registered but not prepared here (needs TensorFlow).
    with pytest.raises(DataError, match=r"inrv_jax\[tf\]") as info:
        open_source("tfds:bair_robot_pushing_small", frames=4, size=(8, 8), data_dir=str(tmp_path))
    assert info.value.reason == "tfds_not_prepared"


def test_unknown_split(tmp_path):
    data_dir = str(tmp_path / "tfds")
    build_tfds("shapes", "tiny_shapes", data_dir, size=(8, 8), frames=2, num_videos=2)
    with pytest.raises(DataError, match="no split 'test'"):
        open_source("tfds:tiny_shapes/test", frames=2, size=(8, 8), data_dir=data_dir)
