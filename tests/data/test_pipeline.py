"""The grain loader: batch format, seeded order, epochs, sharding, resume, prefetch."""

from __future__ import annotations

import numpy as np
import pytest

from inrv_jax.data import make_loader, open_source, to_unit_range


@pytest.fixture(scope="module")
def source():
    return open_source("shapes", frames=4, size=(8, 8), num_videos=10, length=12)


@pytest.fixture(scope="module")
def random_source():
    return open_source("shapes", frames=4, size=(8, 8), num_videos=10, length=12, window="random")


def _indices(loader) -> list[list[int]]:
    return [b["index"].tolist() for b in loader]


def test_batch_format(source):
    batch = next(iter(make_loader(source, 4, seed=0)))
    assert set(batch) == {"index", "video"}
    assert batch["index"].dtype == np.int32 and batch["index"].shape == (4,)
    assert batch["video"].dtype == np.float32 and batch["video"].shape == (4, 4, 8, 8, 3)
    assert batch["video"].min() >= -1 and batch["video"].max() <= 1
    for i, video in zip(batch["index"], batch["video"], strict=True):
        np.testing.assert_array_equal(video, to_unit_range(source.load(int(i))))


def test_order_is_deterministic_per_seed_and_reshuffled_per_epoch(source):
    a = _indices(make_loader(source, 5, seed=3, num_epochs=3))
    b = _indices(make_loader(source, 5, seed=3, num_epochs=3))
    c = _indices(make_loader(source, 5, seed=4, num_epochs=3))
    assert a == b and a != c
    epochs = [sum(a[2 * e : 2 * e + 2], []) for e in range(3)]
    assert all(sorted(e) == list(range(10)) for e in epochs), "each epoch visits every video once"
    assert epochs[0] != epochs[1], "a new permutation every epoch"


def test_two_shards_are_disjoint_and_complete(source):
    seen = []
    for shard in range(2):
        loader = make_loader(
            source, 2, seed=0, shard_index=shard, shard_count=2, num_epochs=1, drop_remainder=False
        )
        seen.append(sum(_indices(loader), []))
    assert set(seen[0]).isdisjoint(seen[1])
    assert sorted(seen[0] + seen[1]) == list(range(10))


def test_global_batches_do_not_depend_on_the_number_of_processes(source):
    one = _indices(make_loader(source, 4, seed=2, num_epochs=2))
    two = [
        _indices(make_loader(source, 2, seed=2, shard_index=k, shard_count=2, num_epochs=2))
        for k in range(2)
    ]
    assert one == [a + b for a, b in zip(two[0], two[1], strict=True)]


def test_uneven_shards_stay_in_lock_step(source):
    lengths = [
        len(make_loader(source, 2, seed=0, shard_index=k, shard_count=3, num_epochs=2))
        for k in range(3)
    ]
    assert lengths == [3, 3, 3]  # 10 videos x 2 epochs // global batch (2 x 3)
    with pytest.raises(ValueError, match="holds no videos"):
        make_loader(source, 1, seed=0, shard_index=10, shard_count=11)


@pytest.mark.parametrize("fixture", ["source", "random_source"])
def test_resume_from_start_step_matches_uninterrupted_run(fixture, request):
    src = request.getfixturevalue(fixture)
    full = list(make_loader(src, 3, seed=7, num_epochs=4))
    resumed = list(make_loader(src, 3, seed=7, num_epochs=4, start_step=5))
    assert len(resumed) == len(full) - 5
    for x, y in zip(full[5:], resumed, strict=True):
        np.testing.assert_array_equal(x["index"], y["index"])
        np.testing.assert_array_equal(x["video"], y["video"])
    endless = iter(make_loader(src, 3, seed=7, start_step=5))
    np.testing.assert_array_equal(next(endless)["video"], full[5]["video"])


def _by_index(batches: list[dict]) -> np.ndarray:
    """The videos of consecutive batches, sorted by video index."""
    index = np.concatenate([b["index"] for b in batches])
    return np.concatenate([b["video"] for b in batches])[np.argsort(index)]


def test_random_windows_vary_by_epoch_but_not_by_run(random_source):
    first = list(make_loader(random_source, 5, seed=0, num_epochs=6))
    by_epoch = [_by_index(first[2 * e : 2 * e + 2]) for e in range(6)]  # 2 batches per epoch
    assert any(not np.array_equal(by_epoch[0], e) for e in by_epoch[1:])
    # A second run with the same seed: the same videos in the same order at every step...
    again = make_loader(random_source, 5, seed=0, num_epochs=6)
    for step in (0, 3, 7, 11):
        batch = again.batch(step)
        np.testing.assert_array_equal(batch["index"], first[step]["index"])
        np.testing.assert_array_equal(batch["video"], first[step]["video"])
    # ...while another seed changes the order and the windows.
    other = list(make_loader(random_source, 5, seed=1, num_epochs=6))
    assert [b["index"].tolist() for b in other] != [b["index"].tolist() for b in first]
    assert not np.array_equal(_by_index(other[:2]), by_epoch[0])


def test_prefetch_does_not_change_the_sequence(source):
    sync = list(make_loader(source, 4, seed=1, num_epochs=2, prefetch=0))
    threaded = list(make_loader(source, 4, seed=1, num_epochs=2, prefetch=3))
    assert [b["index"].tolist() for b in sync] == [b["index"].tolist() for b in threaded]


def test_loader_cache_dir_writes_clips(source, tmp_path):
    make_loader(source, 2, seed=0, cache_dir=str(tmp_path / "c"))
    assert len(list((tmp_path / "c").rglob("*.npy"))) == len(source)
