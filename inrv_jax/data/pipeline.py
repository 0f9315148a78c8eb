"""The input pipeline: a grain `MapDataset` of shuffled, sharded, batched clips.

Order, for process `shard_index` of `shard_count`:
  videos i with i % shard_count == shard_index (each process reads only its own shard) ->
  a fresh permutation per epoch (grain's index shuffle, seeded by (seed, epoch)) ->
  repeated for `num_epochs` (None: forever) -> batches of `batch_size` consecutive elements.
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

from inrv_jax.data.preprocess import to_unit_range
from inrv_jax.data.sources import VideoSource


class _LoadClip:
    """(position in the repeated stream, video index) -> {"index", "video"} element."""

    def __init__(self, source: VideoSource, seed: int, shard_len: int):
        self.source, self.seed, self.shard_len = source, seed, shard_len

    def __call__(self, pos_and_index: tuple[int, int]) -> dict:
        pos, index = pos_and_index
        rng = None
        if self.source.window == "random":
            rng = np.random.default_rng([self.seed, pos // self.shard_len, index])
        video = self.source.load(int(index), rng)
        return {"index": np.int32(index), "video": to_unit_range(video)}


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


def shard_indices(num_videos: int, shard_index: int, shard_count: int) -> list[int]:
    """Video indices of one process's shard: every shard_count-th from shard_index."""
    if not 0 <= shard_index < shard_count:
        raise ValueError(f"shard_index {shard_index} not in [0, {shard_count})")
    return list(range(shard_index, num_videos, shard_count))


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

    With finite `num_epochs` every process yields the same number of batches, computed from
    the smallest shard, so processes stay in lock step; a larger shard's last few elements of
    the final epoch are then not read.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    indices = shard_indices(len(source), shard_index, shard_count)
    if not indices:
        raise ValueError(
            f"shard {shard_index} of {shard_count} holds no videos: the source has only "
            f"{len(source)}; use fewer processes or more videos"
        )
    if cache_dir:
        source.attach_disk_cache(cache_dir)
    shard_len = len(indices)
    ds = grain.MapDataset.source(indices).shuffle(seed=seed % 2**32)
    ds = ds.repeat(num_epochs).map_with_index(lambda pos, i: (pos, i))
    ds = ds.map(_LoadClip(source, seed, shard_len))
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if num_epochs is not None:
        smallest = len(source) // shard_count
        total = smallest * num_epochs
        steps = total // batch_size if drop_remainder else math.ceil(total / batch_size)
        ds = ds[:steps]
    # The iterated elements are whole batches: each read thread builds one batch at a time.
    if num_threads is None:
        num_threads = min(4, prefetch)
    read_options = grain.ReadOptions(
        num_threads=num_threads if prefetch > 0 else 0,
        prefetch_buffer_size=max(prefetch, 0),
    )
    info = {
        "num_videos": len(source),
        "shard_len": shard_len,
        "num_epochs": num_epochs,
        "steps_per_epoch": shard_len // batch_size,
    }
    return Loader(ds, start_step, read_options, info)
