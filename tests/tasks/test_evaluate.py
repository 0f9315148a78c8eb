"""Evaluation pieces: FVD on short clips, time resampling, scoring of unobserved pixels."""

import numpy as np

from inrv_jax.tasks import evaluate
from inrv_jax.tasks.scoring import mean_metrics, video_metrics


def test_resample_time_keeps_endpoints_and_is_linear():
    v = np.arange(4, dtype=np.float32).reshape(1, 4, 1, 1, 1) * np.ones((1, 4, 2, 2, 3), np.float32)
    r = evaluate.resample_time(v, 7)
    np.testing.assert_allclose(r[0, :, 0, 0, 0], [0, 0.5, 1, 1.5, 2, 2.5, 3])


def test_fvd_on_short_clips_resamples_both_sets_to_16_frames(trained, monkeypatch):
    from inrv_jax.metrics import fvd

    seen = []

    def fake_fvd(real, fake, batch_size, i3d):
        seen.append((real.shape, fake.shape))
        return 1.5

    monkeypatch.setattr(fvd, "compute_fvd", fake_fvd)
    monkeypatch.setattr(fvd, "load_i3d", lambda: None)
    out = evaluate.fvd_section(trained, 3, log=lambda *_: None)
    assert out["name"] == "fvd16_time_resampled" and out["value"] == 1.5
    assert "not comparable" in out["note"]
    assert seen == [((3, 16, 16, 16, 3), (3, 16, 16, 16, 3))]


def test_unobserved_metrics_ignore_observed_pixels():
    rng = np.random.default_rng(0)
    target = rng.uniform(-1, 1, (2, 3, 16, 16, 3)).astype(np.float32)
    pred = target.copy()
    hidden = np.zeros((3, 16, 16), bool)
    hidden[:, 8:] = True
    pred[:, :, :8] = -target[:, :, :8]  # wrong only where observed
    m = video_metrics(pred, target, hidden)
    assert np.isinf(m["psnr_unobserved"]).all() and np.isfinite(m["psnr"]).all()
    assert mean_metrics({"a": np.array([np.nan, 1.0]), "b": np.array([np.nan])}) == {
        "a": 1.0,
        "b": None,
    }
