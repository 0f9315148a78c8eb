"""The video encoder trained jointly with the hypernetwork (``model.encoder.kind="video"``): the
step's gradient is ``jax.grad`` of the written loss, both losses fall, the encoder is a part of
the params (and of checkpoints) only when on, resume equals uninterrupted, and
``--init encoder`` with 0 steps renders ``ModelFns.encode``'s latents, and post-hoc training
continues the joint encoder."""

import functools
import json
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from inrv_jax.checkpoint import load_trained
from inrv_jax.config import ConfigError, to_settings, validate
from inrv_jax.coords import make_grid
from inrv_jax.encoder import has_encoder, load_encoder, mask_bank
from inrv_jax.errors import InputError
from inrv_jax.inr import render_batch
from inrv_jax.masks import get_task
from inrv_jax.model import make_model
from inrv_jax.rendering import FromLatents, render
from inrv_jax.settings import from_stored, replace, to_dict
from inrv_jax.sharding import global_batch, make_mesh, path_str, tree_shardings
from inrv_jax.tasks.choose import choose, named_grid
from inrv_jax.tasks.invert import run_task
from inrv_jax.tasks.train_encoder import Settings as PostHoc
from inrv_jax.tasks.train_encoder import train_workdir
from inrv_jax.train.loop import train_and_evaluate
from inrv_jax.train.step import JointEncoder, StepSettings, build_step, make_grad_fn

from helpers import blob_videos, tiny_config, tiny_settings

SHAPE = (4, 16, 16)
# A small encoder: its convolutions dominate the tiny model's step on the CPU.
SMALL = {"model.encoder.stem": 16, "model.encoder.widths": (16, 32), "model.encoder.head": 64}


def joint_config(**overrides):
    return tiny_config(**{"model.encoder.kind": "video", **SMALL, **overrides})


def joint_settings(**overrides):
    return to_settings(joint_config(**overrides))


class _SquareLPIPS:
    """Stands in for LPIPS: the per-frame MSE f32[N], so its term is known in closed form."""

    params = {}

    @staticmethod
    def apply(params, x, y):
        return jnp.mean(jnp.square(x - y), axis=(1, 2, 3))


def _reference_loss(model, cfg, lpips_weight, params, batch, coords, idx):
    """The written loss, by plain autodiff: codebook pixel loss + weight * the encoder
    rendering's pixel loss + consistency * mean(((z_enc - sg(z)) / code_init_std)^2)
    (+ lpips_weight * ``_SquareLPIPS`` of the codebook rendering = its MSE, all pixels)."""
    z, _ = model.latents(params, batch["index"])
    z_enc = model.encode(params, batch["video"], batch["mask"])
    target = batch["video"].reshape(len(z), -1, 3)[:, idx]

    def dist(latents):
        pred = render_batch(model.hyper(params, latents), coords[idx], model.inr_spec)
        return jnp.mean(jnp.square(pred - target))

    consistency = jnp.mean(jnp.square((z_enc - jax.lax.stop_gradient(z)) / cfg.code_init_std))
    enc = cfg.encoder
    codebook = (1.0 + lpips_weight) * dist(z)
    return codebook + enc.weight * dist(z_enc) + enc.consistency * consistency


@pytest.mark.parametrize("path", ["chunked", "lpips"])
def test_joint_gradient_equals_jax_grad_of_the_written_loss(path):
    # Weights other than 1 and several coordinate chunks: the scalings must be right.
    lpips_weight = 0.7 if path == "lpips" else 0.0
    cfg = joint_settings(**{"model.encoder.weight": 0.6, "model.encoder.consistency": 0.3,
                          "train.sample_frac": 1.0 if lpips_weight else 0.5,
                          "loss.lpips_weight": lpips_weight, "train.chunk_rows": 256,
                          "train.render_chunk": 256})  # fmt: skip
    model = make_model(cfg.model, 4)
    params = jax.jit(model.init)(jax.random.key(0))
    # The encoder's output layer starts at zero (z_enc = 0): give it values so that every
    # term, the consistency one included, has a gradient through the whole encoder.
    out = params["encoder"]["out"]
    out["kernel"] = 0.3 * jax.random.normal(jax.random.key(1), out["kernel"].shape)
    bank, names = mask_bank(SHAPE)
    rows = [names.index(t) + 1 for t in ("all", "inpainting", "prediction", "sparse")]
    batch = {
        "index": jnp.arange(4, dtype=jnp.int32),
        "video": jnp.asarray(blob_videos(4, *SHAPE)),
        "mask": jnp.asarray(bank[rows]),  # one task per clip (prediction: the first 2 frames)
    }
    coords = jnp.asarray(make_grid(*SHAPE))
    if lpips_weight:  # whole frames
        idx, step_idx = jnp.arange(coords.shape[0]), None
    else:
        idx = jax.random.choice(jax.random.key(2), coords.shape[0], (512,), replace=False)
        step_idx = idx
    grad_fn = make_grad_fn(model, StepSettings.from_settings(cfg), JointEncoder.from_settings(cfg),
                           _SquareLPIPS if lpips_weight else None)  # fmt: skip
    grads, metrics = jax.jit(grad_fn)(params, batch, coords, step_idx, jax.random.key(3))
    reference = functools.partial(_reference_loss, model, cfg.model, lpips_weight)
    ref_loss, ref = jax.jit(jax.value_and_grad(reference))(params, batch, coords, idx)
    np.testing.assert_allclose(metrics["train/loss"], ref_loss, rtol=1e-5)
    assert float(metrics["train/encoder_consistency"]) > 0.1  # the term is really exercised
    flat, _ = jax.tree_util.tree_flatten_with_path(ref)
    got = dict((path_str(p), g) for p, g in jax.tree_util.tree_flatten_with_path(grads)[0])
    assert {path_str(p) for p, _ in flat} == set(got)
    for path, g in flat:
        scale = float(jnp.abs(g).max())
        assert scale > 0, path_str(path)  # every parameter gets a gradient, encoder included
        np.testing.assert_allclose(got[path_str(path)], g, rtol=1e-4, atol=1e-5 * scale,
                                   err_msg=path_str(path))  # fmt: skip


def _two_steps(config, mesh_shape, devices):
    """Losses and params after 2 joint steps on a (data, model) mesh of ``devices``."""
    config = replace(config, {"mesh.data": mesh_shape[0], "mesh.model": mesh_shape[1]})
    parts = build_step(config, 4, devices=devices)
    state = parts.init_state(jax.random.key(0))
    batch = {"index": np.arange(4, dtype=np.int32), "video": blob_videos(4, *SHAPE)}
    batch, coords = global_batch(batch, parts.mesh), jnp.asarray(make_grid(*SHAPE))
    losses = []
    for _ in range(2):
        state, m = parts.step_fn(state, batch, coords, jax.random.key(1))
        losses.append(float(m["train/encoder_distance"]))
    return losses, state.params


def test_sharded_joint_step_on_4x2_mesh_equals_single_device():
    config = joint_settings(**{"train.sample_frac": 0.5})
    l1, p1 = _two_steps(config, (1, 1), jax.devices()[:1])
    l8, p8 = _two_steps(config, (4, 2), jax.devices())
    np.testing.assert_allclose(l8, l1, rtol=1e-5)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6), p8, p1)
    assert np.abs(np.asarray(p8["encoder"]["out"]["kernel"])).max() > 0  # the encoder trained


def test_masks_are_drawn_from_the_task_bank():
    joint = JointEncoder.from_settings(joint_settings())
    bank, _ = mask_bank(SHAPE)
    np.testing.assert_array_equal(joint.masks.masks[joint.masks.rows], bank > 0)
    drawn = np.asarray(joint.draw(jax.random.key(0), 64)).reshape(64, -1)
    assert all((bank.reshape(len(bank), -1) == m).all(1).any() for m in drawn)
    assert len({m.tobytes() for m in drawn}) > 5  # different masks for different clips


def test_encoder_params_exist_only_when_on():
    off = tiny_settings()
    assert "encoder" not in make_model(off.model, 4).init(jax.random.key(0))
    stored = to_dict(off)
    del stored["model"]["encoder"]  # a config saved before the encoder existed
    old_model = from_stored(stored, version=1).model
    old = jax.eval_shape(make_model(old_model, 4).init, jax.random.key(0))
    assert "encoder" not in old and "hypernet" in old
    cfg = joint_settings()
    abstract = jax.eval_shape(make_model(cfg.model, 4).init, jax.random.key(0))
    assert set(abstract["encoder"]) == {"stem", "stage0", "stage1", "temporal", "head", "out"}
    mesh = make_mesh(cfg.mesh, jax.devices()[:1])
    specs = tree_shardings(abstract, mesh, cfg.mesh.rules)
    assert all(s.spec == jax.sharding.PartitionSpec() for s in jax.tree.leaves(specs["encoder"]))


@pytest.mark.parametrize(
    "override, key",
    [
        ({"model.encoder.kind": "conv"}, "model.encoder.kind"),
        ({"model.encoder.weight": -1.0}, "model.encoder.weight"),
        ({"model.encoder.patch": 32}, "model.encoder.patch"),  # frames are 16x16
    ],
)
def test_bad_encoder_configs_name_the_key(override, key):
    with pytest.raises(ConfigError, match=key):
        validate(joint_config(**override))


@pytest.fixture(scope="module")
def joint_runs(tmp_path_factory):
    """A tiny model trained jointly for 24 steps, and a copy of it resumed from its step-12
    checkpoint (the newer one deleted) to step 24."""
    root = tmp_path_factory.mktemp("joint")
    config = joint_settings(**{"train.steps": 24, "train.checkpoint_every": 12,
                             "train.sample_frac": 0.5, "train.num_samples": 1,
                             "train.picture_scale": 1})  # fmt: skip
    full, part = root / "full", root / "part"
    train_and_evaluate(config, full)
    shutil.copytree(full, part)
    shutil.rmtree(part / "checkpoints" / "24")
    (part / "metrics.jsonl").write_text("")  # the resumed run's rows only
    train_and_evaluate(config, part)
    return full, part


def _metrics(workdir):
    rows = [json.loads(x) for x in (workdir / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r for r in rows if "train/loss" in r}


def test_joint_training_lowers_both_losses(joint_runs):
    m = _metrics(joint_runs[0])
    first, last = [m[s] for s in (1, 2, 3)], [m[s] for s in (22, 23, 24)]
    for key in ("train/distance", "train/encoder_distance"):
        before, after = np.mean([r[key] for r in first]), np.mean([r[key] for r in last])
        assert after < 0.6 * before, (key, before, after)


def test_checkpoint_holds_the_encoder_and_resume_equals_uninterrupted(joint_runs):
    full, part = (load_trained(w) for w in joint_runs)
    assert full.step == part.step == 24 and "encoder" in full.params
    a, b = _metrics(joint_runs[0]), _metrics(joint_runs[1])
    assert sorted(b) == list(range(13, 25))
    for key in ("train/loss", "train/encoder_distance", "train/encoder_consistency"):
        np.testing.assert_allclose([b[s][key] for s in b], [a[s][key] for s in b], rtol=1e-5)
    jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-7),
                 part.params, full.params)  # fmt: skip


def test_init_encoder_with_zero_steps_renders_the_models_own_encoder(joint_runs):
    tm = load_trained(joint_runs[0])
    assert has_encoder(joint_runs[0], tm) and not has_encoder(joint_runs[0])  # not post hoc
    videos = np.asarray(jax.random.uniform(jax.random.key(3), (3, *SHAPE, 3)) * 2 - 1)
    res = run_task(tm, videos, "inpainting", init="encoder", steps=0)
    z = np.asarray(tm.model.encode(tm.params, res.prepared.observed, res.prepared.weights))
    np.testing.assert_allclose(res.latents, z, rtol=1e-5, atol=1e-8)
    assert np.abs(z - z[:1]).max() > 0  # trained: the latents depend on the videos
    np.testing.assert_allclose(
        res.recon, render(FromLatents(tm.model, tm.params, z), SHAPE), atol=1e-5
    )
    enc = load_encoder(joint_runs[0], tm.step, tm.latents.shape[1], trained=tm)
    np.testing.assert_allclose(enc.encode(res.prepared.observed, res.prepared.weights), z,
                               rtol=1e-5, atol=1e-8)  # fmt: skip


def test_choose_scores_the_models_own_encoder_without_being_given_it(joint_runs):
    # As run_task: a model trained with an encoder brings the encoder init's candidates (its one
    # pass among them) to the choice, and the one pass scores what run_task gives.
    tm = load_trained(joint_runs[0])
    videos = np.asarray(jax.random.uniform(jax.random.key(4), (2, *SHAPE, 3)) * 2 - 1)
    grid = named_grid("quick", encoder=True)
    res = choose(tm, videos, ["prediction"], grid, log=lambda *_: None)["tasks"]["prediction"]
    scores = {s["name"]: s["score"] for s in res["scores"]}
    assert {"encoder+0", "encoder+20", "mean+20"} <= set(scores)
    one_pass = run_task(tm, videos, "prediction", init="encoder", steps=0,
                        **get_task("prediction").heldout_options(SHAPE[0]))  # fmt: skip
    assert scores["encoder+0"] == pytest.approx(one_pass.summary["psnr_unobserved"], abs=1e-4)


def test_post_hoc_training_continues_the_joint_encoder(joint_runs, tmp_path):
    # One encoder, two ways to train it: `inrv train-encoder` on a joint model starts from the
    # model's encoder (not a fresh one) and stores it where a post-hoc encoder lives.
    work = tmp_path / "w"
    shutil.copytree(joint_runs[0], work)
    tm = load_trained(work)
    joint = load_encoder(work, trained=tm)
    assert joint.meta["training"] == ["joint"] and joint.meta["steps"] == tm.step
    same = train_workdir(work, PostHoc(steps=0, batch=2, pixels=64), log=None)
    jax.tree.map(np.testing.assert_array_equal, same.arrays["params"], joint.arrays["params"])
    assert same.spec == joint.spec and same.meta["training"] == ["joint", "posthoc"]
    more = train_workdir(work, PostHoc(steps=3, batch=2, pixels=64, log_every=1), log=None)
    assert more.meta["steps"] == tm.step + 3 and [r["step"] for r in more.meta["records"]] == [
        tm.step + 1, tm.step + 2, tm.step + 3]  # fmt: skip
    stored = load_encoder(work, tm.step, tm.latents.shape[1], trained=tm)  # the stored one wins
    assert stored.meta["training"] == ["joint", "posthoc"] and stored.meta["steps"] == tm.step + 3
    moved = jax.tree.map(lambda a, b: np.abs(np.asarray(a) - np.asarray(b)).max(),
                         stored.arrays["params"], joint.arrays["params"])  # fmt: skip
    assert max(jax.tree.leaves(moved)) > 0


def test_a_model_without_encoder_still_names_train_encoder(tmp_path):
    class NoEncoder:  # stands in for a TrainedModel of kind "off"
        model = make_model(tiny_settings().model, 4)

    with pytest.raises(InputError, match=f"`inrv train-encoder --workdir {tmp_path}`"):
        load_encoder(tmp_path, trained=NoEncoder())
