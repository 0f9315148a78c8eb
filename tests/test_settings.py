"""``inrv_jax.settings``: the schema in one place, its registry names are the library's own, bad
values name their key, and configs stored by earlier commits are migrated (a real checkpoint
written by commit 021499b loads, renders its training videos as it did then, and resumes)."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from inrv_jax import settings as S
from inrv_jax.config import base_config, to_settings
from inrv_jax.errors import ConfigError
from inrv_jax.rendering import FromLatents, render

FIXTURE = __import__("pathlib").Path(__file__).parent / "fixtures" / "checkpoint_021499b"


def test_registry_names_are_the_librarys_own():
    from inrv_jax import conditioning, encoder, encoding, hypernet, inr, latent_space
    from inrv_jax.prior import KINDS as PRIOR_KINDS
    from inrv_jax.tasks import choose, inversion

    assert S.INR_KINDS == inr.KINDS
    assert set(S.ENCODINGS) == set(encoding.ENCODINGS)
    assert set(S.HYPERNET_KINDS) == set(hypernet.HYPERNETS)
    assert S.CONDITIONING_KINDS == conditioning.CONDITIONING_KINDS
    assert S.ENCODER_KINDS == encoder.ENCODER_KINDS
    assert S.INITS == inversion.INITS
    assert S.PRIOR_KINDS == tuple(PRIOR_KINDS)
    assert S.GENERATION_MODES == latent_space.GENERATION_MODES
    assert S.INTERPOLATION_METHODS == tuple(sorted(latent_space.INTERPOLATORS))
    assert S.CHOOSE_GRIDS == tuple(choose.GRIDS)


def test_settings_and_config_edge_import_no_jax():
    code = (
        "import sys, inrv_jax.settings, inrv_jax.config\n"
        "bad = [m for m in ('jax', 'flax', 'optax') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_key_has_a_description_and_the_config_dict_is_the_schema():
    rows = list(S.schema_rows())
    assert all(doc for _, _, _, doc in rows), [k for k, _, _, doc in rows if not doc]
    flat = {}

    def walk(d, prefix=""):
        for k, v in d.items():
            (walk(v, f"{prefix}{k}.") if isinstance(v, dict) and k != "builtin" else
             flat.__setitem__(f"{prefix}{k}", v))  # fmt: skip

    walk(base_config().to_dict())
    assert set(flat) == {key for key, *_ in rows}
    assert to_settings(base_config()) == S.resolve(S.Settings())


def test_round_trip_through_json_is_exact():
    s = to_settings(base_config())
    s = S.replace(
        s, {"data.builtin": {"games": "pong", "warmup": (0, 16)}, "train.stages": (2, -1)}
    )
    back = S.from_dict(json.loads(json.dumps(S.to_dict(s))))
    assert back == s and dict(back.data.builtin) == {"games": "pong", "warmup": (0, 16)}
    assert isinstance(back.mesh.rules[0][1], tuple) and hash(back.model) == hash(s.model)


@pytest.mark.parametrize(
    "change, key",
    [
        ({"model": {"inr": {"kind": "gelu"}}}, "model.inr.kind"),
        ({"train": {"steps": "ten"}}, "train.steps"),
        ({"train": {"stepz": 3}}, "stepz"),
        ({"loss": {"distance": "l3"}}, "loss.distance"),
        ({"data": {"size": (16,)}}, "data.size"),
        ({"optim": {"warmup_steps": 5}, "train": {"steps": 5}}, "optim.warmup_steps"),
    ],
)
def test_bad_values_name_their_key(change, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        S.from_dict(change)


def test_replace_is_typed_and_rejects_unknown_keys():
    s = S.replace(S.Settings(), {"train.steps": 7, "data.size": [8, 12], "optim.lr": 1})
    assert s.train.steps == 7 and s.data.size == (8, 12) and s.optim.lr == 1.0
    assert s.video_shape == (25, 8, 12)
    with pytest.raises(ConfigError, match="train.stepz"):
        S.replace(s, {"train.stepz": 3})
    with pytest.raises(ConfigError, match="train.steps"):
        S.replace(s, {"train.steps": "many"})


def test_a_version_1_config_gets_the_values_of_its_time_not_todays_defaults(monkeypatch):
    stored = S.to_dict(S.Settings())
    del stored["model"]["encoder"]
    del stored["model"]["inr"]["encoding"]
    del stored["train"]["picture_scale"]
    # A default that changed since: the stored run still gets what it ran with.
    monkeypatch.setitem(S.ADDED_AFTER_V1, "train.picture_scale", 2)
    old = S.from_stored(stored, version=1)
    assert old.model.encoder.kind == "off" and old.model.inr.encoding == "nerf"
    assert old.train.picture_scale == 2
    assert S.from_stored(S.to_dict(S.Settings()), version=2).train.picture_scale == 4
    with pytest.raises(ConfigError, match="newer than this inrv_jax"):
        S.from_stored(stored, version=S.SCHEMA_VERSION + 1)


@pytest.fixture()
def old_workdir(tmp_path):
    """A copy of the checkpoint commit 021499b wrote (tests/fixtures/checkpoint_021499b)."""
    shutil.copytree(FIXTURE / "checkpoints", tmp_path / "checkpoints")
    return tmp_path


def test_a_checkpoint_of_an_earlier_commit_loads_renders_and_resumes(old_workdir):
    import jax.numpy as jnp

    from inrv_jax.checkpoint import load_trained
    from inrv_jax.metrics.image import psnr
    from inrv_jax.tasks.videos import training_videos
    from inrv_jax.train.loop import train_and_evaluate

    tm = load_trained(old_workdir)
    assert tm.step == 4 and "schema_version" not in tm.meta  # written before the schema
    assert tm.settings.model.inr.encoding == "bandlimited" and tm.settings.model.inr.grid == (
        4, 16, 16,
    )  # fmt: skip
    pred = render(FromLatents(tm.model, tm.params, tm.latents), tm.video_shape)
    per_video = np.asarray(psnr(pred, jnp.asarray(training_videos(tm))))
    then = json.loads((FIXTURE / "summary.json").read_text())["recon/psnr_per_video"]
    np.testing.assert_allclose(per_video, then, atol=1e-3)  # the same model, the same pixels
    resumed = S.replace(tm.settings, {"train.steps": 6, "train.progress": False, "mesh.data": 1,
                                      "train.num_samples": 1, "train.picture_scale": 1})  # fmt: skip
    out = train_and_evaluate(resumed, old_workdir)
    assert np.isfinite(out["train/loss"])
    rows = [json.loads(x) for x in (old_workdir / "metrics.jsonl").read_text().splitlines()]
    assert sorted({r["step"] for r in rows if "train/loss" in r}) == [6]  # resumed at step 5
    new = load_trained(old_workdir)
    assert new.step == 6 and new.meta["schema_version"] == S.SCHEMA_VERSION
