"""KVD, k-NN precision/recall, the Protocol record and the generation section (held-out rows)."""

import json

import jax
import numpy as np
import pytest

from inrv_jax.checkpoint import TrainedModel
from inrv_jax.errors import InputError
from inrv_jax.metrics import i3d, kvd, precision_recall
from inrv_jax.metrics.protocol import Protocol
from inrv_jax.model import make_model
from inrv_jax.tasks import generation

from helpers import tiny_settings


def _gaussian(n, d, seed, shift=0.0):
    return np.random.default_rng(seed).normal(size=(n, d)) + shift


# --- KVD ---------------------------------------------------------------------------------------


def test_polynomial_kernel_known_values():
    x = np.array([[1.0, 0.0], [1.0, 1.0]])
    # (x.y / 2 + 1)^3: [[1.5^3, 1.5^3], [1.5^3, 2^3]]
    np.testing.assert_allclose(kvd.polynomial_kernel(x, x), [[3.375, 3.375], [3.375, 8.0]])


def test_kvd_of_a_set_with_itself_is_the_closed_form_not_zero():
    """Unbiased: within-set terms drop the diagonal, the cross term keeps it, so
    KVD(X, X) = -(2/n) (mean diag k - mean off-diag k) exactly; it is < 0 and shrinks as 1/n."""
    x = _gaussian(50, 16, 0)
    k = kvd.polynomial_kernel(x, x)
    n = len(x)
    off = (k.sum() - np.trace(k)) / (n * (n - 1))
    expected = -(2.0 / n) * (np.trace(k) / n - off)
    got = kvd.kvd(x, x)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got < 0
    big = _gaussian(800, 16, 1)
    assert abs(kvd.kvd(big, big)) < abs(got) / 5  # 16x the samples, ~1/16 of the value


def test_kvd_is_unbiased_on_two_samples_of_one_distribution():
    """Mean over many draws of small samples is 0 within 4 standard errors (biased MMD^2, or
    FVD, would sit clearly above 0 at n = 10)."""
    rng = np.random.default_rng(0)
    values = np.array(
        [kvd.kvd(rng.normal(size=(10, 8)), rng.normal(size=(10, 8))) for _ in range(2000)]
    )
    sem = values.std() / np.sqrt(len(values))
    assert abs(values.mean()) < 4 * sem
    assert values.std() > 0 and (values < 0).any()  # single values scatter around 0


def test_kvd_grows_with_the_shift():
    real = _gaussian(200, 8, 0)
    values = [kvd.kvd(real, _gaussian(200, 8, 1, shift)) for shift in (0.0, 0.3, 1.0, 3.0)]
    assert abs(values[0]) < values[1] < values[2] < values[3]
    assert values[1] > 0


def test_kvd_subsets_mean_and_std():
    real, fake = _gaussian(60, 8, 0), _gaussian(60, 8, 1, 0.5)
    # Subsets the size of the sets are the full sets in another order: no spread.
    mean, std = kvd.kvd_subsets(real, fake, 5, 60, seed=0)
    np.testing.assert_allclose(mean, kvd.kvd(real, fake), rtol=1e-10)
    assert std < 1e-9 * abs(mean)
    m1, s1 = kvd.kvd_subsets(real, fake, 20, 20, seed=3)
    assert (m1, s1) == kvd.kvd_subsets(real, fake, 20, 20, seed=3) and s1 > 0
    with pytest.raises(ValueError, match="subset_size"):
        kvd.kvd_subsets(real, fake, 5, 61)


# --- precision / recall ------------------------------------------------------------------------


def test_precision_recall_identical_and_disjoint_sets():
    x = _gaussian(100, 8, 0)
    assert precision_recall.precision_recall(x, x.copy()) == (1.0, 1.0)
    far = _gaussian(100, 8, 1, shift=100.0)
    assert precision_recall.precision_recall(x, far) == (0.0, 0.0)
    partly = np.concatenate([x[:50], far[:50]])  # half on the real manifold
    p, r = precision_recall.precision_recall(x, partly)
    assert p == 0.5 and 0.0 < r < 1.0


def test_precision_recall_known_answer_in_1d():
    real = np.array([[0.0], [1.0], [2.0], [3.0], [10.0]])
    fake = np.array([[0.5], [1.5], [6.0], [20.0]])
    # k=1 radii: real [1, 1, 1, 1, 7]; fake [1, 1, 4.5, 14].
    np.testing.assert_allclose(precision_recall.knn_radii(real, 1), [1, 1, 1, 1, 7])
    np.testing.assert_allclose(precision_recall.knn_radii(fake, 1), [1, 1, 4.5, 14])
    # precision: 0.5, 1.5 near 0..2; 6.0 within 7 of 10.0; 20.0 is 10 from 10.0 > 7 -> 3/4.
    # recall: 0, 1, 2 within 1 of 0.5 or 1.5; 3.0 within 4.5 of 6.0; 10.0 within 14 of 20 -> 1.
    assert precision_recall.precision_recall(real, fake, k=1) == (0.75, 1.0)
    # k=2 radii: real [2, 1, 1, 2, 8]; fake [5.5, 4.5, 5.5, 18.5]: 20.0 is still 10 > 8 from
    # 10.0 -> precision 3/4, recall 1. A tight fake set 0.5, 1.5, 2.5 (radii 2, 1, 2) misses 10.0.
    np.testing.assert_allclose(precision_recall.knn_radii(real, 2), [2, 1, 1, 2, 8])
    np.testing.assert_allclose(precision_recall.knn_radii(fake, 2), [5.5, 4.5, 5.5, 18.5])
    assert precision_recall.precision_recall(real, fake, k=2) == (0.75, 1.0)
    tight = np.array([[0.5], [1.5], [2.5]])
    np.testing.assert_allclose(precision_recall.knn_radii(tight, 2), [2, 1, 2])
    assert precision_recall.precision_recall(real, tight, k=2) == (1.0, 0.8)  # 10.0 uncovered


def test_precision_recall_needs_more_than_k_samples():
    with pytest.raises(ValueError, match="k = 3"):
        precision_recall.precision_recall(np.zeros((3, 2)), np.zeros((5, 2)), k=3)


# --- Protocol ----------------------------------------------------------------------------------


def _protocol(**overrides):
    values = {
        "fake": "random-interpolated",
        "fake_source": "checkpoint step 30",
        "num_fake": 300,
        "real_source": "held-out clips of atari",
        "real_paths": ("atari:Pong/seed=1", "atari:Pong/seed=2"),
        "num_real": 2,
        "clip_shape": (8, 32, 32),
        "time_resampling": "linear",
        "seed": 7,
        "fake_indices": (0, 1, 5),
        "resolution": 64,
        "kvd_subsets": 100,
        "kvd_subset_size": 1,
    }
    return Protocol(**{**values, **overrides})


def test_protocol_round_trips_exactly_also_through_json():
    p = _protocol()
    d = p.to_dict()
    assert d["real_paths"] == list(p.real_paths) and d["clip_shape"] == [8, 32, 32]
    assert Protocol.from_dict(d) == p
    assert Protocol.from_dict(json.loads(json.dumps(d))) == p
    assert Protocol.from_dict(json.loads(json.dumps(d))).to_dict() == d
    assert _protocol(resolution=224).to_dict() != d  # every field is part of the record


def test_protocol_rejects_bad_dicts_and_values():
    d = _protocol().to_dict()
    with pytest.raises(InputError, match=r"unknown keys \['extra'\]"):
        Protocol.from_dict({**d, "extra": 1})
    with pytest.raises(InputError, match=r"missing keys \['seed'\]"):
        Protocol.from_dict({k: v for k, v in d.items() if k != "seed"})
    with pytest.raises(InputError, match="time_resampling"):
        _protocol(time_resampling="cubic")
    with pytest.raises(InputError, match="resolution 16"):
        _protocol(resolution=16)


# --- I3D at a low resolution --------------------------------------------------------------------


def test_i3d_head_runs_below_224():
    """The packaged head's (2, 7, 7) pool fails below 193 pixels; the global-pool head does not.
    Two tiny clips at 32x32 (the trunk ends at 2 x 1 x 1): finite, distinct, batch-independent."""
    clips = np.random.default_rng(0).uniform(-1, 1, (2, 16, 32, 32, 3)).astype(np.float32)
    feats = i3d.I3DFeatures(resolution=32, batch_size=2)(clips)
    assert feats.shape == (2, i3d.EMBED_DIM) and np.all(np.isfinite(feats))
    assert np.abs(feats[0] - feats[1]).max() > 1e-3
    with pytest.raises(InputError, match=">= 32"):
        i3d.I3DFeatures(resolution=16)


def test_fit_frames_first_16_or_linear_resampling():
    v = np.arange(20, dtype=np.float32).reshape(1, 20, 1, 1, 1) * np.ones((1, 20, 2, 2, 3))
    out, how = i3d.fit_frames(v)
    assert how == "none" and out.shape[1] == 16 and out[0, -1, 0, 0, 0] == 15
    out, how = i3d.fit_frames(v[:, :4])
    assert how == "linear" and out.shape[1] == 16
    np.testing.assert_allclose(out[0, :, 0, 0, 0], np.linspace(0, 3, 16), atol=1e-6)


# --- the generation section --------------------------------------------------------------------


class PooledPixels:
    """A cheap stand-in for I3D: 4x4-pooled mean frames, f64[B, 48]."""

    name = "pooled-pixels (test)"
    resolution = 32
    quantize = False

    def __init__(self):
        self.calls = []

    def __call__(self, clips):
        clips = np.asarray(clips, np.float64)
        self.calls.append(clips.shape)
        b, t, h, w, c = clips.shape
        return clips.reshape(b, t, 4, h // 4, 4, w // 4, c).mean(axis=(1, 3, 5)).reshape(b, -1)


@pytest.fixture(scope="module")
def untrained():
    """A tiny model with random latents (4 training videos of 4x16x16), no training needed."""
    settings = tiny_settings()
    model = make_model(settings.model, 4)
    params = model.init(jax.random.key(0))
    latents = np.random.default_rng(0).normal(size=(4, model.module.latent_dim))
    return TrainedModel(settings, {"video_shape": [4, 16, 16]}, model, params,
                        latents.astype(np.float32), step=0)  # fmt: skip


def _heldout(n):
    return np.random.default_rng(9).uniform(-1, 1, (n, 4, 16, 16, 3)).astype(np.float32)


def test_generation_section_is_reproducible_and_records_its_protocol(untrained):
    feats = PooledPixels()
    paths = [f"clip{i}" for i in range(6)]
    kwargs = {"num": 5, "seed": 3, "heldout_paths": paths, "features": feats, "log": lambda *_: 0}
    a = generation.generation_section(untrained, _heldout(6), **kwargs)
    b = generation.generation_section(untrained, _heldout(6), **kwargs)
    assert json.dumps(a["rows"]) == json.dumps(b["rows"])  # same seed: every digit
    c = generation.generation_section(untrained, _heldout(6), **{**kwargs, "seed": 4})
    assert c["rows"]["random"]["fvd"] != a["rows"]["random"]["fvd"]

    rows = a["rows"]
    assert list(rows) == list(generation.ROWS)
    # held-out once, then each row's clips (mean-video: one clip, features repeated)
    assert feats.calls[:5] == [(6, 16, 16, 16, 3), (5, 16, 16, 16, 3), (5, 16, 16, 16, 3),
                               (4, 16, 16, 16, 3), (1, 16, 16, 16, 3)]  # fmt: skip
    for name, row in rows.items():
        p = Protocol.from_dict(row["protocol"])
        assert p.fake == name and p.num_real == 6 and p.real_paths == tuple(paths)
        assert p.time_resampling == "linear" and p.clip_shape == (4, 16, 16) and p.seed == 3
        assert p.feature_network == "pooled-pixels (test)" and p.k == 3
    assert rows["training"]["protocol"]["num_fake"] == 4  # only 4 training videos
    assert rows["training"]["protocol"]["fake_indices"] == [0, 1, 2, 3]
    assert rows["mean-video"]["protocol"]["num_fake"] == 5
    # Identical samples: the generated manifold has radius 0 and covers no held-out clip.
    assert rows["mean-video"]["recall"] == 0.0

    lines = generation.markdown_rows(a)
    assert len(lines) == 2 + len(generation.ROWS)
    assert lines[2].startswith("| model, random-interpolated |") and lines[-1].endswith("| 5 / 6 |")
    assert "resampled linearly from 4" in generation.markdown_note(a)


def test_generation_section_bad_inputs(untrained):
    with pytest.raises(InputError, match="model's clips are"):
        generation.generation_section(
            untrained, np.zeros((6, 5, 16, 16, 3), np.float32), num=5, seed=0, log=None
        )
    with pytest.raises(InputError, match="more than k=3"):
        generation.generation_section(untrained, _heldout(3), num=5, seed=0, log=None)
    with pytest.raises(InputError, match="model has 4: lower k"):
        generation.generation_section(untrained, _heldout(6), num=5, seed=0, k=4, log=None)
