"""The held-out protocol: clips sharing a frame with training are skipped; rows score the model
and the task's baselines on the same clips."""

import numpy as np
import pytest

from inrv_jax.errors import InputError
from inrv_jax.tasks.heldout_protocol import (
    HeldoutSettings,
    frame_digests,
    heldout_rows,
    score_key,
    unseen_clips,
)


class ListSource:
    """A video source over u8[N, T, H, W, 3] clips."""

    def __init__(self, clips):
        self.clips = clips

    def __len__(self):
        return len(self.clips)

    def load(self, i):
        return self.clips[i]


def _clips(num, seed):
    return np.random.default_rng(seed).integers(0, 256, (num, 3, 4, 4, 3), dtype=np.uint8)


def test_unseen_clips_skip_any_clip_that_shows_a_training_frame():
    train = _clips(3, 0)
    candidates = _clips(5, 1)
    candidates[0, 2] = train[1, 0]  # one frame of a training clip, elsewhere in the clip
    candidates[2, 0] = train[2, 2]
    clips, skipped = unseen_clips(ListSource(candidates), frame_digests(ListSource(train)), 2)
    assert skipped == [0, 2]
    assert clips.shape == (2, 3, 4, 4, 3) and clips.dtype == np.float32
    np.testing.assert_allclose(clips, candidates[[1, 3]] / 127.5 - 1, atol=1e-6)


def test_unseen_clips_say_when_too_few_candidates_are_unseen():
    train = _clips(1, 0)
    candidates = np.repeat(train, 3, axis=0)  # every candidate is the training clip
    with pytest.raises(InputError, match="only 0 of 3 candidate clips share no frame"):
        unseen_clips(ListSource(candidates), frame_digests(ListSource(train)), 1)


def test_score_key_is_hidden_pixels_when_the_task_hid_some():
    assert score_key({"psnr": 20.0, "psnr_unobserved": 15.0}) == "psnr_unobserved"
    assert score_key({"psnr": 20.0, "psnr_unobserved": None}) == "psnr"


def test_heldout_rows_score_model_and_baselines_per_set_and_task(trained):
    from inrv_jax.tasks.videos import heldout_videos

    videos, _ = heldout_videos(trained, 2)
    settings = HeldoutSettings(tasks=("all", "prediction"), inversion_steps=3,
                               inversion_pixels=64)  # fmt: skip
    lines = []
    rows = heldout_rows(trained, {"episodes": videos}, settings, log=lines.append)
    assert list(rows) == ["episodes"] and list(rows["episodes"]) == ["all", "prediction"]
    for task, res in rows["episodes"].items():
        key = score_key(res["mean"])
        assert key == ("psnr" if task == "all" else "psnr_unobserved")
        assert np.isfinite(res["mean"][key]) and res["seconds"] > 0
        assert res["baselines"]
        for row in (res, *res["baselines"].values()):  # the judged metric per clip, only it
            assert np.isfinite(row["mean"][key]) and list(row["per_video"]) == [key]
            assert np.mean(row["per_video"][key]) == pytest.approx(row["mean"][key], rel=1e-5)
            assert len(row["per_video"][key]) == len(videos)
    assert len(lines) == 2 and lines[0].split()[:2] == ["episodes", "all"]
