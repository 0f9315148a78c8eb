"""Import of official INR-V PyTorch checkpoints: architecture, pixels, conditional branch, errors."""

import dataclasses
import json
import sys

import numpy as np
import pytest

from helpers import require_torch  # noqa: E402

torch = require_torch()

from benchmarks import torch_official as to  # noqa: E402
from inrv_jax.checkpoint import load_trained  # noqa: E402
from inrv_jax.cli import main as cli_main  # noqa: E402
from inrv_jax.official import importer as oi  # noqa: E402
from inrv_jax.rendering import FromLatents, RenderSettings, render  # noqa: E402

# Non-default everywhere. Official layer counts: INR 2 hidden->hidden layers = 3 ReLU layers
# (depth 3 here), heads 2 hidden->hidden layers = 3 ReLU layers (depth 3).
SMALL = to.OfficialConfig(
    num_videos=3,
    latent_dim=8,
    hyper_hidden=16,
    hyper_hidden_layers=2,
    inr_hidden=32,
    inr_hidden_layers=2,
    num_frequencies=4,
)
SHAPE = (3, 6, 7)  # T, H, W: all different, so an axis mix-up shows


def randomize(model: torch.nn.Module, seed: int) -> None:
    """Random O(1)-output values in every float tensor (not the tiny official output init)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if not p.is_floating_point() or name.startswith("clip.model."):
                continue
            fan_in = p.shape[-1] if p.ndim > 1 else 16
            p.copy_(torch.randn(p.shape, generator=gen) / np.sqrt(fan_in))


def assert_pixels_match(trained, state_dict, latents, rows):
    """Rendering rows of the import equals the NumPy official forward pass at those latents."""
    pred = np.asarray(
        render(
            FromLatents(trained.model, trained.params, trained.latents[rows]),
            SHAPE,
            RenderSettings(64),
        )
    )
    for j, z in enumerate(latents):
        ref = to.render_numpy(state_dict, z, *SHAPE)
        assert np.abs(ref).max() > 0.1  # a meaningful comparison, not near-zero outputs
        np.testing.assert_allclose(pred[j], ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def test_default_official_architecture_is_inferred_from_shapes():
    with torch.device("meta"):  # shapes only: no 57M-parameter allocation
        model = to.OfficialVideoGen(to.OfficialConfig(num_videos=5, latent_dim=128))
    arch = oi.infer_architecture(model.state_dict())
    assert arch == oi.OfficialArchitecture(
        latent_dim=128, head_hidden=256, head_depth=4, inr_hidden=256, inr_depth=4,
        num_freqs=10, out_dim=3, num_heads=10, code_rows=5, code_dim=128, conditional=False,
    )  # fmt: skip
    config = oi._settings(arch, 5, (25, 100, 100), None)
    assert config.model.hypernet.depth == 4 and config.model.inr.depth == 4
    import jax

    from inrv_jax.hypernet import make_hypernet
    from inrv_jax.inr import INRSpec

    net = make_hypernet(INRSpec.from_settings(config.model.inr), config.model.hypernet)
    shapes = jax.eval_shape(net.init, jax.random.key(0), jax.numpy.zeros((1, 128)))
    assert sum(int(np.prod(x.shape)) for x in jax.tree.leaves(shapes)) == 57_438_467


def test_import_renders_the_official_pixels(tmp_path):
    torch.manual_seed(0)
    model = to.OfficialVideoGen(SMALL)
    randomize(model, 1)
    codes = model.latent_codes.weight.detach().numpy().copy()
    # learned_latents lists only videos seen in the run and lags the codebook by one update:
    # rows it has are used as they are, the missing row comes from the codebook.
    learned = {0: codes[0] + 0.05, 2: codes[2] - 0.05}
    opt = to.make_optimizer(model)
    coords = torch.from_numpy(to.coordinate_grid(2, 4, 4))[None].expand(2, -1, -1)
    for _ in range(3):
        to.train_step(model, opt, torch.tensor([0, 2]), coords, torch.zeros(2, 32, 3))
    sd = {k: v.clone() for k, v in model.state_dict().items()}
    ckpt = tmp_path / "ckpt_current.pth"
    to.save_official_checkpoint(ckpt, model, learned, opt)
    data_list = tmp_path / "train.txt"
    data_list.write_text("# official list\nvids/a.mp4\nvids/b.mp4\nvids/c.mp4\nvids/d.mp4\n")

    summary = oi.import_official(ckpt, tmp_path / "run", video_shape=SHAPE, data_list=data_list)
    assert summary["step"] == 3  # Adam's step count
    assert summary["latents"] == {"from_learned_latents": 2, "from_codebook": 1}

    trained = load_trained(tmp_path / "run")
    assert trained.step == 3 and trained.video_shape == SHAPE
    m = trained.settings.model
    assert (int(m.latent_dim), m.inr.hidden, m.inr.depth, m.inr.num_freqs) == (8, 32, 3, 4)
    assert (m.hypernet.hidden, m.hypernet.depth, m.conditioning.kind) == (16, 3, "off")
    expected = np.stack([codes[0] + 0.05, sd["latent_codes.weight"][1].numpy(), codes[2] - 0.05])
    np.testing.assert_array_equal(trained.latents, expected.astype(np.float32))
    z, _ = trained.model.latents(trained.params, np.arange(3))
    np.testing.assert_array_equal(np.asarray(z), trained.latents)  # codebook == latents
    paths = [e["path"] for e in trained.meta["manifest"]["entries"]]
    assert paths == [str(tmp_path / "vids" / n) for n in ("a.mp4", "b.mp4", "c.mp4")]
    assert trained.meta["official_import"]["ignored_tensors"] == {"net.net": 8}
    assert_pixels_match(trained, sd, expected, np.arange(3))


def test_cli_imports_a_conditional_checkpoint(tmp_path, capsys):
    cfg = dataclasses.replace(SMALL, conditional=True, clip_model_stub=True, num_videos=2)
    torch.manual_seed(0)
    model = to.OfficialVideoGen(cfg)
    randomize(model, 2)
    feats = torch.randn(2, 4, cfg.clip_dim, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        merged = model.latents(torch.arange(2), feats).numpy()
    sd = model.state_dict()
    ckpt = tmp_path / "ckpt_final.pth"
    to.save_official_checkpoint(ckpt, model, dict(enumerate(merged)))

    argv = ["import-official", str(ckpt), "--workdir", str(tmp_path / "run")]
    assert cli_main([*argv, "--video-shape", "3,6,7"]) == 0
    assert "conditional branch dropped" in capsys.readouterr().out
    trained = load_trained(tmp_path / "run")
    assert trained.latents.shape == (2, 8) and trained.settings.model.conditioning.kind == "off"
    np.testing.assert_array_equal(trained.latents, merged)  # not the 512-d instance codes
    assert [e["path"] for e in trained.meta["manifest"]["entries"]] == ["official:0", "official:1"]
    info = trained.meta["official_import"]
    assert info["conditional"] and info["official_step"] == 0
    assert set(info["ignored_tensors"]) == {"clip", "mergeclipinstance", "net.net"}
    assert_pixels_match(trained, sd, merged, np.arange(2))

    # A second import into the same workdir needs --overwrite.
    assert cli_main([*argv, "--video-shape", "3,6,7"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert cli_main([*argv, "--video-shape", "3,6,7", "--overwrite"]) == 0


def _small_ckpt(tmp_path, **cfg):
    torch.manual_seed(0)
    model = to.OfficialVideoGen(dataclasses.replace(SMALL, **cfg))
    return model, model.state_dict()


def test_bad_inputs_get_clear_errors(tmp_path, monkeypatch):
    def fails(match, path, **kw):
        with pytest.raises(oi.OfficialImportError, match=match):
            oi.import_official(path, tmp_path / "run", video_shape=SHAPE, **kw)

    fails("no such file", tmp_path / "missing.pth")
    (tmp_path / "text.pth").write_text("not a checkpoint\n")
    fails("not a PyTorch checkpoint", tmp_path / "text.pth")
    torch.save(torch.zeros(3), tmp_path / "tensor.pth")
    fails("holds Tensor, not an INR-V checkpoint", tmp_path / "tensor.pth")
    torch.save({"model": {"conv.weight": torch.zeros(2)}}, tmp_path / "other.pth")
    fails("no hypernetwork heads", tmp_path / "other.pth")
    torch.save({"model": {}, "extra": np.zeros(2)}, tmp_path / "pickled.pth")
    fails("--trust-pickle", tmp_path / "pickled.pth")

    model, sd = _small_ckpt(tmp_path)
    broken = dict(sd)
    del broken["hyper_net.nets.3.net.1.0.bias"]
    torch.save(broken, tmp_path / "nobias.pth")
    fails(r"missing 'hyper_net.nets.3.net.1.0.bias'", tmp_path / "nobias.pth")

    # Head 1 with hidden width 20 instead of 16: cannot be stacked.
    wide = dict(sd)
    wide["hyper_net.nets.1.net.0.0.weight"] = torch.zeros(20, 8)
    wide["hyper_net.nets.1.net.0.0.bias"] = torch.zeros(20)
    wide["hyper_net.nets.1.net.1.0.weight"] = torch.zeros(16, 20)
    torch.save({"model": wide}, tmp_path / "wide.pth")
    fails("unequal hidden widths", tmp_path / "wide.pth")

    cond, csd = _small_ckpt(tmp_path, conditional=True)
    torch.save({"model": csd, "learned_latents": {0: [None, None, torch.zeros(8)]}},
               tmp_path / "cond.pth")  # fmt: skip
    fails("lacks 2 of 3 videos", tmp_path / "cond.pth")
    out = oi.import_official(
        tmp_path / "cond.pth", tmp_path / "partial", video_shape=SHAPE, drop_missing=True
    )
    assert out["num_videos"] == 1 and out["latents"]["dropped_rows"] == [1, 2]

    torch.save({"model": sd}, tmp_path / "ok.pth")
    (tmp_path / "short.txt").write_text("a.mp4\n")
    fails("names 1 videos but the checkpoint has 3", tmp_path / "ok.pth",
          data_list=tmp_path / "short.txt")  # fmt: skip
    with pytest.raises(oi.OfficialImportError, match="T,H,W"):
        oi.import_official(tmp_path / "ok.pth", tmp_path / "run", video_shape="25,100")

    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    fails(r"pip install 'inrv_jax\[torch\]'", tmp_path / "ok.pth")
    assert not (tmp_path / "run").exists()  # nothing written by any failure


def test_bare_state_dict_uses_the_codebook(tmp_path):
    model, sd = _small_ckpt(tmp_path)
    torch.save(sd, tmp_path / "model_final.pth")  # the official training.py format
    out = oi.import_official(tmp_path / "model_final.pth", tmp_path / "run", video_shape=SHAPE)
    assert out["step"] == 0 and out["latents"] == {"from_learned_latents": 0, "from_codebook": 3}
    trained = load_trained(tmp_path / "run")
    np.testing.assert_array_equal(trained.latents, sd["latent_codes.weight"].numpy())
    assert json.loads(trained.manifest_json)["settings"]["spec"] == "official"


def test_separate_learned_latents_file(tmp_path, capsys):
    """Official training.py layout: bare state dict + pickled logs/NAME/learned_latents.npy."""
    model, sd = _small_ckpt(tmp_path, conditional=True)
    torch.save(sd, tmp_path / "model_final.pth")
    z = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    learned = {i: [None, None, torch.from_numpy(z[i])] for i in range(3)}
    np.save(tmp_path / "learned_latents.npy", learned, allow_pickle=True)
    argv = ["import-official", str(tmp_path / "model_final.pth"), "--workdir", str(tmp_path / "r")]
    argv += ["--video-shape", "3,6,7", "--learned-latents", str(tmp_path / "learned_latents.npy")]
    assert cli_main(argv) == 2
    assert "--trust-pickle" in capsys.readouterr().err
    assert cli_main([*argv, "--trust-pickle"]) == 0
    np.testing.assert_array_equal(load_trained(tmp_path / "r").latents, z)
