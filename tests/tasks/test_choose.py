"""Methods chosen on validation clips: the split is disjoint from the test clips, a test clip
cannot change the choice, and the recipe file drives `inrv invert`."""

import json

import numpy as np
import pytest

from inrv_jax.cli import main
from inrv_jax.errors import InputError
from inrv_jax.tasks import evaluate
from inrv_jax.tasks.choose import (
    GRIDS,
    Recipe,
    candidate_grid,
    choose,
    load_recipes,
    named_grid,
    save_recipes,
)
from inrv_jax.tasks.invert import run_task
from inrv_jax.tasks.videos import heldout_videos

# Two inversions (mean, nearest) and a refinement of each: cheap on the tiny model.
GRID = candidate_grid(inits=("mean", "nearest"), steps=(5,), refine_steps=(0, 4), anchors=(0.0,))


def test_validation_clips_follow_the_test_clips_and_differ_from_them(trained):
    test, test_paths = heldout_videos(trained, 2)
    val, val_paths = heldout_videos(trained, 3, split="validation", after=2)
    assert not set(test_paths) & set(val_paths)
    assert all(np.abs(v - t).max() > 0 for v in val for t in test)
    with pytest.raises(ValueError, match="unknown held-out split"):
        heldout_videos(trained, 2, split="train")


def test_test_clips_cannot_change_the_choice(trained, monkeypatch):
    seen = []  # the videos the choice was made on

    def spy(tm, videos, *args, **kw):
        seen.append(np.array(videos))
        return choose(tm, videos, *args, **kw)

    monkeypatch.setattr(evaluate, "choose", spy)
    kw = dict(heldout_num=2, tasks=("prediction",), fvd_samples=0, lpips=False, baselines=False,
              choose_num=2, candidates=GRID, log=lambda *_: None)  # fmt: skip
    first = evaluate.evaluate(trained, **kw)
    # The same evaluation with every test clip replaced by noise.
    real = evaluate.heldout_videos

    def noisy_test(tm, num, spec=None, *, split="test", after=0):
        videos, paths = real(tm, num, spec, split=split, after=after)
        if split == "test":
            videos = np.random.default_rng(0).uniform(-1, 1, videos.shape).astype(np.float32)
        return videos, paths

    monkeypatch.setattr(evaluate, "heldout_videos", noisy_test)
    second = evaluate.evaluate(trained, **kw)
    val, _ = heldout_videos(trained, 2, split="validation", after=2)
    for videos in seen:
        np.testing.assert_array_equal(videos, val)
    a, b = first["choice"]["tasks"]["prediction"], second["choice"]["tasks"]["prediction"]

    def untimed(scores):
        return [{k: v for k, v in s.items() if k != "seconds"} for s in scores]

    assert a["chosen"] == b["chosen"] and untimed(a["scores"]) == untimed(b["scores"])
    assert len(a["scores"]) == len(GRID)
    assert a["chosen"] == max(a["scores"], key=lambda s: s["score"])["recipe"]
    # ...while the test scores did change: the test clips are what the report scores.
    assert first["tasks"]["prediction"]["mean"] != second["tasks"]["prediction"]["mean"]
    assert first["tasks"]["prediction"]["recipe"] == a["chosen"].kwargs()


def test_the_chosen_recipe_is_what_run_task_reproduces(trained, tmp_path):
    val, _ = heldout_videos(trained, 2, split="validation", after=2)
    choice = choose(trained, val, ["inpainting"], GRID, log=lambda *_: None)
    save_recipes(tmp_path / "recipe.json", choice)
    recipe = load_recipes(tmp_path / "recipe.json")["inpainting"]
    assert recipe == choice["tasks"]["inpainting"]["chosen"]
    best = max(choice["tasks"]["inpainting"]["scores"], key=lambda s: s["score"])["score"]
    again = run_task(trained, val, "inpainting", **recipe.kwargs())
    assert again.summary["psnr_unobserved"] == pytest.approx(best, abs=1e-4)


def test_invert_applies_a_recipe_file(workdir, tmp_path):
    recipe = Recipe("nearest", 3, 1e-2, refine_steps=2, refine_part="biases", refine_anchor=5.0)
    choice = {"tasks": {"inpainting": {"chosen": recipe, "scores": []}}}
    save_recipes(workdir / "recipe.json", choice)
    out = tmp_path / "inv"

    def invert(task, *method):
        return main(["invert", "--workdir", str(workdir), "--data", "shapes", "--num", "2",
                     "--task", task, *method, "--no-lpips", "--out", str(out)])  # fmt: skip

    assert invert("inpainting", "--init", "auto") == 0
    settings = json.loads((out / "metrics.json").read_text())["settings"]
    assert {k: settings[k] for k in recipe.kwargs()} == recipe.kwargs()
    assert settings["recipe"] == "auto"
    # A task the file has no recipe for, and a file that is not a recipe: one line, exit 2.
    assert invert("prediction", "--init", "auto") == 2
    (tmp_path / "x.json").write_text("{}")
    assert invert("inpainting", "--recipe", str(tmp_path / "x.json")) == 2
    (workdir / "recipe.json").unlink()


def test_bad_recipes_name_the_fix(tmp_path):
    with pytest.raises(InputError, match="inrv evaluate --choose"):
        load_recipes(tmp_path / "none.json")
    with pytest.raises(InputError, match="unknown keys"):
        Recipe.from_dict({"init": "mean", "step": 3})


def test_sample_clips_hold_out_their_later_frames():
    """With data.builtin.heldout_frac set, sample_clips' test and validation clips are its own
    splits (later frames of the same videos), whatever N is."""
    import types

    from inrv_jax.config import load_config, to_settings
    from inrv_jax.data import open_source

    config = load_config("configs/sample_clips.py")
    config.data.size = (16, 16)
    fake = types.SimpleNamespace(settings=to_settings(config), latents=np.zeros((config.data.num_videos, 4)),
                                 video_shape=(8, 16, 16))  # fmt: skip
    for split in ("test", "validation"):
        videos, _ = heldout_videos(fake, 3, split=split)
        source = open_source("sample_clips", frames=8, size=(16, 16), split=split,
                             heldout_frac=config.data.builtin.heldout_frac)  # fmt: skip
        expected = np.stack([source.load(i) for i in range(3)]).astype(np.float32) / 127.5 - 1
        np.testing.assert_allclose(videos, expected, atol=1e-6)


def test_with_baselines_the_choice_is_the_largest_margin(trained):
    from inrv_jax.inr import INRSpec
    from inrv_jax.tasks.baselines import Context
    from inrv_jax.tasks.videos import training_videos

    val, _ = heldout_videos(trained, 2, split="validation", after=2)
    context = Context(train_videos=training_videos(trained), inr_spec=INRSpec(hidden=16, depth=2))
    choice = choose(trained, val, ["all"], GRID, pixels_per_step=32, context=context,
                    log=lambda *_: None)  # fmt: skip
    res = choice["tasks"]["all"]
    assert res["criterion"] == "margin"
    for s in res["scores"]:
        assert s["baseline"] in ("nearest-training", "fit-single")
        assert s["margin"] == pytest.approx(s["score"] - s["baseline_score"])
    assert res["chosen"] == max(res["scores"], key=lambda s: s["margin"])["recipe"]


def test_named_grids_are_the_default_grid_and_a_smaller_one():
    assert set(GRIDS) == {"full", "quick"}
    assert named_grid("full") == candidate_grid()
    quick = named_grid("quick")
    assert 0 < len(quick) < len(named_grid("full")) / 4
    assert {r.residual for r in quick} == {"", "linear"}  # the same kinds of candidate
    with_encoder = named_grid("quick", encoder=True)
    assert {r.init for r in with_encoder} == {"mean", "nearest", "encoder"}
    # The encoder's one pass and the grid's z-steps, each with the grid's refinements/residuals.
    assert with_encoder[: len(quick)] == quick
    assert sorted({r.steps for r in with_encoder if r.init == "encoder"}) == [0, 20]
    per_init = len(quick) // 2
    assert len(with_encoder) == len(quick) + 2 * per_init
