"""The videos the tasks read, as model input: f32[B, T, H, W, 3] in [-1, 1] at a clip shape.

From any data spec (``load_videos``: what ``inrv invert --data`` or an external interpolation
endpoint names) or from a trained run's own data config (``training_videos``; ``heldout_videos``,
the clips after the training ones, for evaluation).
"""

from __future__ import annotations

import numpy as np

from inrv_jax import settings as settings_lib
from inrv_jax.data import builtin, open_source, source_from_settings
from inrv_jax.errors import InputError
from inrv_jax.pixels import to_unit_range


def load_videos(spec: str, shape, *, indices=None, data_dir=None, seed: int = 0):
    """Videos of a data spec at the model's clip shape.

    Args:
      spec: any data spec training accepts (file, folder, list, tfds:NAME, built-in).
      shape: (T, H, W).
      indices: which videos of the source (default all).
      seed: built-in generation seed.

    Returns:
      (f32[B, T, H, W, 3] in [-1, 1], list of B paths).
    """
    t, h, w = (int(x) for x in shape)
    num = None if indices is None else max(indices) + 1
    src = open_source(spec, frames=t, size=(h, w), data_dir=data_dir, seed=seed, num_videos=num)
    if indices is None:
        indices = range(len(src))
    bad = [i for i in indices if i >= len(src)]
    if bad:
        raise InputError(f"{spec} has {len(src)} usable videos; asked for video {bad[0]}")
    return _stack(src, indices), [src.paths[i] for i in indices]


def training_videos(trained, num: int | None = None) -> np.ndarray:
    """The first ``num`` training clips f32[n, T, H, W, 3] in [-1, 1] (the run's data config)."""
    n = trained.latents.shape[0] if num is None else min(num, trained.latents.shape[0])
    data = settings_lib.replace(trained.settings.data, {"num_videos": trained.latents.shape[0]})
    return _stack(source_from_settings(data), range(n))


SPLITS = ("test", "validation")


def heldout_videos(
    trained, num: int, spec: str | None = None, *, split: str = "test", after: int = 0
) -> tuple[np.ndarray, list[str]]:
    """``num`` clips f32[num, T, H, W, 3] the model never saw, and their paths.

    ``split="test"`` (evaluation): by default videos ``N .. N+num-1`` of the training data config
    (N = training videos; for the procedural built-ins these are new random videos), or for the
    built-ins of ``builtin.HELDOUT_FROM_NEXT_SEED`` (atari) videos ``0 .. num-1`` of the next data
    seed (other episodes), or for those of ``builtin.HELDOUT_FROM_SPLIT`` with ``heldout_frac``
    set (sample_clips) the first ``num`` clips of their ``test`` split (later frames); else the
    first ``num`` videos of ``spec``.

    ``split="validation"`` (choosing a method, ``tasks.choose``): clips disjoint from the test
    ones: atari's videos ``0 .. num-1`` of the seed after the test seed; sample_clips' own
    ``validation`` split; otherwise the ``num`` videos after the ``after`` test videos
    (``N+after ..``, or ``after ..`` of ``spec``).
    """
    if split not in SPLITS:
        raise ValueError(f"unknown held-out split {split!r}; choose one of {SPLITS}")
    skip = after if split == "validation" else 0
    if spec is not None:
        return load_videos(spec, trained.video_shape, indices=list(range(skip, skip + num)))
    first = trained.latents.shape[0] + skip
    data = trained.settings.data
    if data.spec in builtin.HELDOUT_FROM_NEXT_SEED:
        first = 0
        data = settings_lib.replace(data, {"seed": data.seed + (2 if split == "validation" else 1)})
    elif data.spec in builtin.HELDOUT_FROM_SPLIT and data.builtin.get("heldout_frac"):
        first = 0
        data = settings_lib.replace(data, {"builtin": {**data.builtin, "split": split}})
    src = source_from_settings(settings_lib.replace(data, {"num_videos": first + num}))
    if len(src) < first + num:
        raise InputError(
            f"the training data {data.spec!r} has {len(src)} videos, {first} of them trained on "
            f"or held out: not enough for {num} {split} videos; pass --heldout SPEC or ask for "
            "fewer"
        )
    idx = range(first, first + num)
    return _stack(src, idx), [src.paths[i] for i in idx]


def _stack(source, indices) -> np.ndarray:
    return to_unit_range(np.stack([source.load(i) for i in indices]))
