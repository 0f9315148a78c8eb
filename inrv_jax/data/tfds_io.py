"""TensorFlow Datasets: build a dataset from any video source, and read datasets as sources.

`write_tfds` writes the videos of an opened source as records {"video": uint8 [T, H, W, 3],
"path": str, "sha256": str} of `tfds.features.Tensor` features in the array_record format,
which tensorflow-datasets writes and reads (`as_data_source()`) without TensorFlow.

`tfds_clips` reads any prepared dataset by name from `data_dir` (spec `tfds:NAME[/SPLIT]`,
optionally `#KEY` to pick the video feature); `source_clips` is the `tfds` kind of
`inrv_jax.data.resolve`. Catalog video datasets (moving_mnist, ucf101, bair_robot_pushing_small,
...) store `Video` features that need TensorFlow to build and decode; without it the error
names the extra to install.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re

import numpy as np

from inrv_jax.data.clip import Clip
from inrv_jax.data.errors import DataError
from inrv_jax.data.options import ClipOptions
from inrv_jax.data.preprocess import Preprocess
from inrv_jax.data.video_source import VideoSource

PREFIX = "tfds:"

TF_EXTRA_FIX = (
    "pip install 'inrv_jax[tf]' (TensorFlow), then prepare it as array_record: "
    "tfds build NAME --data_dir DIR --file_format array_record"
)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _tfds():
    import tensorflow_datasets as tfds  # slow import, only when TFDS is used

    return tfds


def has_tensorflow() -> bool:
    return importlib.util.find_spec("tensorflow") is not None


def write_tfds(source: VideoSource, name: str, data_dir: str, *, version: str = "1.0.0") -> str:
    """Writes every video of an opened source as TFDS dataset `name` (split "train").

    Record i is video i of the source (its manifest entry's path and hash travel with it).
    A source opened with window="start" stores its clips (`frames` frames at `stride`); one
    opened with window="random" stores every decoded frame of each video, so a reader may
    draw any window (open it with frames=1 to keep whole videos of any length). Frames are
    stored preprocessed (size, crop); a reader at another size resizes them again.

    Args:
      source: e.g. `open_source(spec, ClipOptions(...))`; its skipped videos are not written.
      name: dataset name, snake_case.
      data_dir: TFDS data dir; the dataset lands in data_dir/name/version.

    Returns:
      The dataset folder.
    """
    if not _NAME.match(name):
        raise ValueError(f"TFDS name must be snake_case (a-z, 0-9, _), got {name!r}")
    records = [
        {"video": source.full(i), "path": e.path, "sha256": e.sha256}
        for i, e in enumerate(source.manifest.entries)
    ]
    builder = _builder_class(name, version)(data_dir=data_dir, file_format="array_record")
    builder.records = records
    _tfds().disable_progress_bar()
    builder.download_and_prepare()
    return builder.data_dir


def _builder_class(name: str, version: str):
    tfds = _tfds()

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            description="Videos converted by inrv_jax.data.tfds_io.write_tfds.",
            disable_shuffling=True,  # record i must stay video i of the source
            features=tfds.features.FeaturesDict(
                {
                    "video": tfds.features.Tensor(
                        shape=(None, None, None, 3),
                        dtype=np.uint8,
                        encoding=tfds.features.Encoding.ZLIB,
                    ),
                    "path": tfds.features.Tensor(shape=(), dtype=np.str_),
                    "sha256": tfds.features.Tensor(shape=(), dtype=np.str_),
                }
            ),
        )

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples()}

    def _generate_examples(self):
        yield from enumerate(self.records)

    namespace = {
        "name": name,
        "VERSION": tfds.core.Version(version),
        "_info": _info,
        "_split_generators": _split_generators,
        "_generate_examples": _generate_examples,
    }
    class_name = "".join(p.capitalize() for p in name.split("_"))
    return type(class_name, (tfds.core.GeneratorBasedBuilder,), namespace, skip_registration=True)


def _open_builder(name: str, data_dir: str | None):
    tfds = _tfds()
    where = data_dir or "the default TFDS data dir"
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as exc:  # tfds raises several types for "not found"
        raise DataError(
            f"tfds:{name}",
            "tfds_not_found",
            f"no prepared TFDS dataset {name!r} in {where} ({type(exc).__name__})",
            "build one with `inrv data build-tfds SRC --name NAME --data-dir DIR`, or for a "
            f"catalog dataset: {TF_EXTRA_FIX}",
        ) from exc
    if not builder.is_prepared():
        raise DataError(
            f"tfds:{name}",
            "tfds_not_prepared",
            f"TFDS dataset {name!r} is not prepared in {where}",
            TF_EXTRA_FIX,
        )
    return builder


def _video_key(features, spec: str, key: str | None) -> str:
    tfds = _tfds()
    if key is not None:
        if key not in features:
            raise DataError(spec, "tfds_no_key", f"no feature {key!r} (has {sorted(features)})")
        return key
    candidates = [
        k
        for k, f in features.items()
        if isinstance(f, tfds.features.Video)
        or (isinstance(f, tfds.features.Tensor) and len(f.shape) == 4 and f.np_dtype == np.uint8)
    ]
    if "video" in candidates:
        return "video"
    if len(candidates) != 1:
        raise DataError(
            spec,
            "tfds_no_video",
            f"cannot tell which feature holds the video (candidates {candidates})",
            "append #KEY to the spec, e.g. tfds:NAME/train#image_main",
        )
    return candidates[0]


def is_tfds(spec: str) -> bool:
    return spec.startswith(PREFIX)


def source_clips(spec: str, prep: Preprocess, options: ClipOptions) -> list[Clip]:
    """The `tfds` kind: clips of spec `tfds:NAME[/SPLIT][#KEY]` read from `options.data_dir`."""
    return tfds_clips(spec[len(PREFIX) :], prep, data_dir=options.data_dir)


def tfds_clips(name_split: str, prep: Preprocess, *, data_dir: str | None) -> list[Clip]:
    """Clips of a prepared TFDS dataset. `name_split` is NAME[/SPLIT][#KEY] (split: train)."""
    tfds = _tfds()
    spec = f"{PREFIX}{name_split}"
    name_split, _, key = name_split.partition("#")
    name, split = name_split, "train"
    if "/" in name_split:
        head, _, tail = name_split.rpartition("/")
        name, split = head, tail
    builder = _open_builder(name, data_dir)
    if split not in builder.info.splits:
        raise DataError(
            spec, "tfds_no_split", f"no split {split!r} (has {list(builder.info.splits)})"
        )
    features = builder.info.features
    video_key = _video_key(features, spec, key or None)
    if isinstance(features[video_key], tfds.features.Video) and not has_tensorflow():
        raise DataError(
            spec,
            "needs_tensorflow",
            f"feature {video_key!r} is an encoded tfds Video, which only TensorFlow decodes",
            "pip install 'inrv_jax[tf]'",
        )
    file_format = getattr(builder.info, "file_format", None)
    file_format = str(getattr(file_format, "value", file_format) or "")
    if file_format and "array_record" not in file_format.lower():
        raise DataError(
            spec,
            "tfds_not_array_record",
            f"stored as {file_format}; random access needs array_record",
            "rebuild with `tfds build NAME --file_format array_record` (needs inrv_jax[tf])",
        )
    data = builder.as_data_source(split=split)
    return [_record_clip(data, i, spec, video_key, prep) for i in range(len(data))]


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _record_clip(data, i: int, spec: str, key: str, prep: Preprocess) -> Clip:
    cache: dict[str, object] = {}

    def record() -> dict:
        if "r" not in cache:
            cache["r"] = data[i]
        return cache["r"]

    def path() -> str:
        return f"{spec}/{i}"

    def sha256() -> str:
        r = record()
        if "sha256" in r:
            return _text(r["sha256"])
        return hashlib.sha256(np.ascontiguousarray(r[key]).tobytes()).hexdigest()

    def read(start, stop, stride, sink=None, notes=None):
        video = np.asarray(record()[key])
        if video.ndim == 3:  # [T, H, W] gray
            video = np.repeat(video[..., None], 3, axis=-1)
        if video.shape[-1] == 1:
            video = np.repeat(video, 3, axis=-1)
        if video.shape[-1] != 3:
            raise DataError(path(), "bad_channels", f"video has shape {video.shape}, not RGB")
        window = video[start:stop:stride]
        # Frames already at the target size are taken as preprocessed (write_tfds stores them
        # so); other sizes are cropped and resized like decoded frames.
        if window.shape[1:3] != prep.size:
            window = prep.apply_array(window, path())
        return window, video.shape[0]

    return Clip(path=path(), sha256=sha256, read=read)
