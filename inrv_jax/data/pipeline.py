"""The input pipeline: a grain `MapDataset` of shuffled, batched clips, split across processes.

Order, for process `shard_index` of `shard_count` (P processes, per-process batch B):
  all videos -> a fresh permutation per epoch (grain's index shuffle, seeded by (seed, epoch))
  -> repeated for `num_epochs` (None: forever) -> global batches of B*P consecutive elements ->
  this process takes rows [shard_index*B, (shard_index+1)*B) of every global batch and decodes
  only those (each process reads only its own videos).
The global batch sequence is therefore the same for any number of processes: a run on 2 hosts
sees exactly the batches of a run on 1 host, and can be resumed on a different topology.
Everything is random access, so batch k is a pure function of (seed, k, shard): `start_step=k`
resumes the exact sequence an uninterrupted run would have produced from step k on, and random
clip windows are drawn from a generator seeded by (seed, epoch, video index).

Each element is decoded once (the source's clip cache, optionally mirrored to `cache_dir`) and
scaled to float32 [-1, 1] on the fly; grain's read threads prefetch `prefetch` batches.
"""

from __future__ import annotations

import math

import grain
import numpy as np

from inrv_jax.data.video_source import VideoSource
from inrv_jax.pixels import to_unit_range


class _LoadShardOfBatch:
    """A global batch of (stream positions, video indices) -> this process's rows, decoded.

    Returns {"index": int32 [B], "video": float32 [B, T, H, W, 3]}.
    """

    def __init__(self, source: VideoSource, seed: int, shard_index: int, shard_count: int):
        self.source, self.seed = source, seed
        self.shard_index, self.shard_count = shard_index, shard_count

    def __call__(self, global_batch: tuple[np.ndarray, np.ndarray]) -> dict:
        positions, indices = (np.asarray(x) for x in global_batch)
        rows = np.array_split(np.arange(len(indices)), self.shard_count)[self.shard_index]
        videos = []
        for row in rows:
            index = int(indices[row])
            rng = None
            if self.source.window == "random":
                epoch = int(positions[row]) // len(self.source)
                rng = np.random.default_rng([self.seed, epoch, index])
            videos.append(to_unit_range(self.source.load(index, rng)))
        return {
            "index": indices[rows].astype(np.int32),
            "video": np.stack(videos) if videos else np.zeros((0,), np.float32),
        }


class Loader:
    """Iterable over batches {"index": int32 [B], "video": float32 [B, T, H, W, 3]}.

    Each `iter(loader)` starts again at `start_step`. `len(loader)` is the number of batches
    left when `num_epochs` is finite. `batch(step)` returns one batch by its absolute step.
    """

    def __init__(self, dataset: grain.MapDataset, start_step: int, read_options, info: dict):
        self._dataset = dataset
        self._start_step = start_step
        self._read_options = read_options
        self.info = info
        self.steps_per_epoch = info["steps_per_epoch"]

    def __iter__(self):
        remaining = self._dataset[self._start_step :]
        return iter(remaining.to_iter_dataset(self._read_options))

    def __len__(self) -> int:
        if self.info["num_epochs"] is None:
            raise TypeError("an endless loader (num_epochs=None) has no length")
        return max(0, len(self._dataset) - self._start_step)

    def batch(self, step: int) -> dict:
        """The batch at absolute step `step` (same as the step-th batch of an iteration from 0)."""
        return self._dataset[step]


def _shard_batches(
    source: VideoSource,
    seed: int,
    shard_index: int,
    shard_count: int,
    global_batch: int,
    num_epochs: int | None,
    drop_remainder: bool,
) -> grain.MapDataset:
    """This process's batches in the order of the module docstring: shuffled epochs of video
    indices, cut into global batches of `global_batch`, of which this shard decodes its rows.
    Finite (up to the last batch of `num_epochs` epochs) unless `num_epochs` is None."""
    ds = grain.MapDataset.source(list(range(len(source)))).shuffle(seed=seed % 2**32)
    ds = ds.repeat(num_epochs).map_with_index(lambda pos, i: (pos, i))
    ds = ds.batch(global_batch, drop_remainder=drop_remainder)
    ds = ds.map(_LoadShardOfBatch(source, seed, shard_index, shard_count))
    if num_epochs is not None:
        total = len(source) * num_epochs
        steps = total // global_batch if drop_remainder else math.ceil(total / global_batch)
        ds = ds[:steps]
    return ds


def _read_options(prefetch: int, num_threads: int | None) -> grain.ReadOptions:
    """`prefetch` batches read ahead by `num_threads` threads (default min(4, prefetch));
    prefetch 0 reads in the caller's thread."""
    # The iterated elements are whole batches: each read thread builds one batch at a time.
    if num_threads is None:
        num_threads = min(4, prefetch)
    return grain.ReadOptions(
        num_threads=num_threads if prefetch > 0 else 0,
        prefetch_buffer_size=max(prefetch, 0),
    )


def make_loader(
    source: VideoSource,
    batch_size: int,
    *,
    seed: int,
    shard_index: int = 0,
    shard_count: int = 1,
    cache_dir: str | None = None,
    num_epochs: int | None = None,
    prefetch: int = 2,
    drop_remainder: bool = True,
    start_step: int = 0,
    num_threads: int | None = None,
) -> Loader:
    """Batches of training clips for one process.

    Args:
      source: an opened `VideoSource`.
      batch_size: per-process batch size B.
      seed: shuffling and random-window seed.
      shard_index, shard_count: this process and the number of processes (for multi-host:
        `jax.process_index()`, `jax.process_count()`).
      cache_dir: mirror decoded clips here (later runs skip decoding).
      num_epochs: passes over the shard; None repeats forever.
      prefetch: batches read ahead by background threads (0: read in the caller's thread).
      drop_remainder: drop a final partial batch (only matters with finite num_epochs).
      start_step: first batch to yield, for resuming.
      num_threads: batches built in parallel (default: min(4, prefetch)).

    Every process yields the same number of batches (lock step). With
    ``drop_remainder=False`` a final partial global batch is split as evenly as possible.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if not 0 <= shard_index < shard_count:
        raise ValueError(f"shard_index {shard_index} not in [0, {shard_count})")
    if len(source) < shard_count:
        raise ValueError(
            f"shard {shard_index} of {shard_count} holds no videos: the source has only "
            f"{len(source)}; use fewer processes or more videos"
        )
    if cache_dir:
        source.attach_disk_cache(cache_dir)
    global_batch = batch_size * shard_count
    ds = _shard_batches(
        source, seed, shard_index, shard_count, global_batch, num_epochs, drop_remainder
    )
    read_options = _read_options(prefetch, num_threads)
    info = {
        "num_videos": len(source),
        "num_epochs": num_epochs,
        "steps_per_epoch": len(source) // global_batch,
    }
    return Loader(ds, start_step, read_options, info)
