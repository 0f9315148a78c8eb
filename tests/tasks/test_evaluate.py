"""Evaluation pieces: FVD on short clips, time resampling, scoring of unobserved pixels."""

import numpy as np
import pytest

from inrv_jax.commands.evaluate import parse_steps
from inrv_jax.pixels import to_unit_range
from inrv_jax.tasks import evaluate
from inrv_jax.tasks.baselines import run_baselines
from inrv_jax.tasks.scoring import mean_metrics, video_metrics
from inrv_jax.tasks.videos import heldout_videos, training_videos


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
    # One exact video does not make a mean PSNR infinite: it counts as 8-bit rounding noise.
    capped = mean_metrics({"psnr": np.array([np.inf, 30.0]), "ssim": np.array([1.0, 0.5])})
    assert capped == {"psnr": pytest.approx((58.92 + 30.0) / 2, abs=0.01), "ssim": 0.75}


def test_report_scores_each_tasks_baselines_on_the_same_pixels(trained, monkeypatch):
    from inrv_jax.tasks import baselines

    fits = []  # fit-single's settings, as evaluate handed them over
    real_fit = baselines.fit_observations

    def spy(spec, starts, obs, settings, **kw):
        fits.append(settings)
        return real_fit(spec, starts, obs, settings, **kw)

    monkeypatch.setattr(baselines, "fit_observations", spy)
    report = evaluate.evaluate(trained, heldout_num=2, tasks=("prediction", "inpainting"),
                               steps=5, fvd_samples=0, lpips=False, pixels_per_step=24,
                               seed=3, log=lambda *_: None)  # fmt: skip
    videos, _ = heldout_videos(trained, 2)
    pred = report["tasks"]["prediction"]["baselines"]
    assert set(pred) == {"repeat-last", "fit-single"}
    assert set(pred["repeat-last"]) == {"mean", "per_video", "seconds"}
    # fit-single had the inversion's pixels a step, pixel draws (seed) and seconds (both
    # without compilation).
    method = [report["tasks"][t]["seconds"] for t in ("prediction", "inpainting")]
    assert [(f.pixels_per_step, f.seed, f.seconds) for f in fits] == [(24, 3, s) for s in method]
    assert all(0 < s < report["tasks"]["prediction"]["seconds"] + 1e9 for s in method)
    # The same numbers as the baseline run alone on the task's held-out options (2 of 4 frames).
    last = ["repeat-last"]
    alone = run_baselines(videos, "prediction", future_frames=2, names=last)["repeat-last"]
    assert pred["repeat-last"]["mean"] == alone.summary
    inp = report["tasks"]["inpainting"]
    spatial = ["biharmonic", "nearest-pixel", "nearest-training"]
    assert set(inp["baselines"]) == {*spatial, "fit-single"}
    found = run_baselines(videos, "inpainting", train_videos=training_videos(trained),
                          names=spatial)  # fmt: skip
    for name, res in found.items():
        np.testing.assert_allclose(inp["baselines"][name]["per_video"]["psnr_unobserved"],
                                   res.metrics["psnr_unobserved"], rtol=1e-6)  # fmt: skip
    scores = {n: b["mean"]["psnr_unobserved"] for n, b in inp["baselines"].items()}
    best = max(scores, key=scores.get)
    diff = inp["mean"]["psnr_unobserved"] - scores[best]
    rows = {line.split(" | ")[0]: line for line in evaluate.markdown(report).splitlines()}
    mark = "✓" if diff > 0 else "✗"
    assert rows["| inpainting (top half observed), 2 held-out"].endswith(
        f" | {mark} {diff:+.2f} dB |"
    )
    assert rows[f"| ↳ {evaluate.BASELINES[best].title}"].endswith(" | best baseline |")
    assert "| ↳ repeat the last observed frame" in rows


def _report(tasks):
    return {"checkpoint_step": 1, "video_shape": [4, 16, 16], "heldout": {"num_videos": 2},
            "reconstruction": {"num_videos": 4, "mean": {"psnr": 30.0}},
            "fvd": {"name": "fvd", "value": None}, "tasks": tasks,
            "settings": {"steps": 5, "lr": 0.01, "init": "mean"}}  # fmt: skip


def test_markdown_marks_wins_and_losses_against_the_best_baseline():
    def res(model, **baselines):
        return {"mean": model, "baselines": {n: {"mean": m} for n, m in baselines.items()}}

    tasks = {
        # inversion hides no pixel: compared over all pixels
        "all": res(
            {"psnr": 20.0}, **{"nearest-training": {"psnr": 21.5}, "fit-single": {"psnr": 18.0}}
        ),
        "inpainting": res(
            {"psnr": 9.0, "psnr_unobserved": 15.0},
            biharmonic={"psnr": 30.0, "psnr_unobserved": 13.5},
            **{"nearest-pixel": {"psnr": 30.0, "psnr_unobserved": 12.0}},
        ),
        "temporal": {"mean": {"psnr": 20.0}},  # no baselines (e.g. --no-baselines)
    }
    lines = evaluate.markdown(_report(tasks)).splitlines()
    rows = {line.split(" | ")[0]: line for line in lines if line.startswith("| ")}
    assert rows["| inversion, 2 held-out"].endswith(" | ✗ -1.50 dB |")
    assert rows["| ↳ nearest training video"].endswith(" | best baseline |")
    assert rows["| ↳ single INR fitted in the same time and pixels a step"].endswith(
        " | – | – | – |  |"
    )
    assert rows["| inpainting (top half observed), 2 held-out"].endswith(" | ✓ +1.50 dB |")
    assert rows["| ↳ biharmonic fill (per frame)"].endswith(" | 13.50 | – | – | best baseline |")
    assert rows["| temporal upsampling (even frames), 2 held-out"].endswith(" | – |")
    assert "✓ where the model wins" in "\n".join(lines)


def test_generation_is_scored_against_the_heldout_clips(trained, monkeypatch):
    from inrv_jax.metrics import fvd
    from inrv_jax.tasks import generation

    class MeanColour:  # a cheap stand-in for I3D: per-clip mean colour and its spread
        name, resolution, quantize = "mean-colour", 224, False

        def __init__(self, resolution=None):
            pass

        def __call__(self, clips):
            clips = np.asarray(clips, np.float64)
            return np.concatenate([clips.mean(axis=(1, 2, 3)), clips.std(axis=(1, 2, 3))], 1)

    monkeypatch.setattr(generation, "I3DFeatures", MeanColour)
    # The FVD section's own I3D pass is tested above and in tests/metrics/test_fvd.py.
    monkeypatch.setattr(fvd, "compute_fvd", lambda real, fake, batch_size, i3d: 2.5)
    monkeypatch.setattr(fvd, "load_i3d", lambda: None)
    quiet = {"steps": 2, "lpips": False, "log": lambda *_: None, "baselines": False}
    report = evaluate.evaluate(trained, heldout_num=5, tasks=("all",), fvd_samples=4, **quiet)
    assert report["fvd"]["value"] == 2.5  # the FVD section ran beside the generation one
    gen = report["generation"]
    assert set(gen["rows"]) == set(generation.ROWS)
    videos, paths = heldout_videos(trained, 5)
    protocol = gen["rows"]["training"]["protocol"]
    assert protocol["num_real"] == 5 and list(protocol["real_paths"]) == paths
    # The training row scores the training clips against the held-out ones: recompute it.
    direct = generation.generation_section(trained, videos, num=4, seed=0, features=MeanColour())
    assert gen["rows"]["training"]["kvd"] == direct["rows"]["training"]["kvd"]
    assert "Generation vs held-out clips" in evaluate.markdown(report)
    assert "held-out real clips" in evaluate.markdown(report)  # the memorization table
    skipped = evaluate.evaluate(trained, heldout_num=2, tasks=("all",), fvd_samples=0, **quiet)
    assert "skipped" in skipped["generation"]


def test_atari_heldout_default_is_the_next_seeds_episodes():
    """Atari clips of one seed restart from that seed's trunk snapshots: the default held-out
    clips are clips 0.. of the next data seed, never clips N.. of the training seed."""
    pytest.importorskip("ale_py")
    from types import SimpleNamespace

    from inrv_jax.config import load_config, to_settings
    from inrv_jax.data import open_source

    c = load_config("configs/atari.py")
    c.data.frames, c.data.size, c.data.num_videos = 4, (16, 16), 3
    c.data.builtin.games = "pong,breakout"
    trained = SimpleNamespace(
        settings=to_settings(c), latents=np.zeros((3, 4)), video_shape=(4, 16, 16)
    )
    videos, paths = heldout_videos(trained, 2)
    small = {"frames": 4, "size": (16, 16), "games": "pong,breakout"}
    other = open_source("atari", num_videos=2, seed=1, **small)
    np.testing.assert_array_equal(videos, to_unit_range(np.stack([other.load(0), other.load(1)])))
    assert len(paths) == 2
    training_seed = open_source("atari", num_videos=5, **small)
    assert not np.array_equal(videos[0], to_unit_range(training_seed.load(3)))


def test_encoder_rows_are_the_encoders_inversions_beside_the_same_baselines(trained):
    from inrv_jax.errors import InputError
    from inrv_jax.tasks.invert import run_task
    from inrv_jax.tasks.train_encoder import Settings, train_encoder

    enc = train_encoder(trained, Settings(steps=4, batch=2, pixels=64), log=None)
    quiet = {"heldout_num": 2, "tasks": ("prediction",), "steps": 3, "fvd_samples": 0,
             "lpips": False, "log": lambda *_: None}  # fmt: skip
    report = evaluate.evaluate(trained, encoder=enc, encoder_steps=(0, 2), **quiet)
    res = report["tasks"]["prediction"]
    assert set(res["amortized"]) == {"encoder+0", "encoder+2"}
    videos, _ = heldout_videos(trained, 2)
    alone = run_task(trained, videos, "prediction", init="encoder", steps=2, encoder=enc,
                     future_frames=res["future_frames"])  # fmt: skip
    np.testing.assert_allclose(res["amortized"]["encoder+2"]["per_video"]["psnr_unobserved"],
                               alone.metrics["psnr_unobserved"], rtol=1e-5)  # fmt: skip
    # one pass and two steps differ, and neither is the mean-init inversion
    psnrs = {res["mean"]["psnr"], *(a["mean"]["psnr"] for a in res["amortized"].values())}
    assert len(psnrs) == 3
    lines = evaluate.markdown(report).splitlines()
    one_pass = next(line for line in lines if line.startswith("| · encoder, one pass ("))
    verdict, _ = evaluate.versus_best(
        "prediction", {**res, "mean": res["amortized"]["encoder+0"]["mean"]}
    )
    assert one_pass.endswith(f" | {verdict} |") and any("+ 2 inversion steps" in x for x in lines)
    assert parse_steps("0, 20") == (0, 20)
    with pytest.raises(InputError, match="--encoder-steps"):
        parse_steps("0,-3")
    with pytest.raises(InputError, match="train-encoder"):
        evaluate.evaluate(trained, init="encoder", **quiet)
