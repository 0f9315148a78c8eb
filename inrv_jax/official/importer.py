"""Import an official INR-V PyTorch checkpoint into a workdir every task can read.

``inrv import-official CKPT.pth --workdir DIR [--video-shape T,H,W] [--data-list FILE]``

Accepted inputs (DESIGN §2): the official ``{"model": state_dict, "optim": ..., "learned_latents":
{i: [mu, logvar, z_i]}}`` (``ckpt_*.pth``), or a bare state dict (``model_*.pth``) with the
learned latents, if any, from a separate ``--learned-latents`` file (the official
``learned_latents.npy``). A ``module.`` prefix (DataParallel) is stripped.

The architecture is read off tensor shapes alone: the latent size from the heads' fan-in, head
width and depth from their hidden layers, the INR's tensors from the heads' output sizes (a bias
head's size is the layer's ``out``, the weight head before it has ``out * in``), and the number of
positional-encoding frequencies from the INR's fan-in ``3 * (1 + 2F)``.

What is written. The model is imported with ``conditioning.kind = "off"`` and its codebook holds
the latents actually fed to the hypernetwork, so ``model.latents(i) == latents[i]`` and every
task (render, generate, interpolate, invert) works without frame features:

* the codebook / latents are ``learned_latents[i][2]`` (what the official generation and
  interpolation scripts sample from). Rows missing from ``learned_latents`` (it only lists videos
  seen in the current run) fall back to ``latent_codes.weight`` for an unconditional model, where
  code == latent; a conditional model cannot recompute them without its frame encoder, so they are
  an error unless ``drop_missing`` keeps only the rows present.
* A conditional checkpoint's BiGRU (``clip.gru.*``), merge MLP (``mergeclipinstance.*``), frozen
  CLIP weights (``clip.model.*``) and 512-d instance codes are not carried over; the import can be
  used and fine-tuned as an unconditional model, not trained further with the conditional
  regulariser.
* Adam starts fresh (the official moments are not converted); the step is the official Adam step
  count when the checkpoint has optimizer state, else 0.
* The manifest names each row by its path in ``--data-list`` (the official one-path-per-line list
  of training videos, in order; its first N lines are used) or ``official:{i}``; content hashes
  are unknown ("").
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import pathlib
import re
import shutil

from inrv_jax import settings as settings_lib
from inrv_jax.official.reader import (
    KNOWN_PREFIXES,
    OfficialArchitecture,
    OfficialImportError,
    convert_hypernet,
    infer_architecture,
    official_latents,
    official_step,
    read_official,
)
from inrv_jax.settings import Settings

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------
# Writing the workdir.


def _parse_shape(text) -> tuple[int, int, int]:
    if isinstance(text, str):
        parts = [p for p in re.split(r"[,x ]", text) if p]
        try:
            shape = tuple(int(p) for p in parts)
        except ValueError:
            shape = ()
    else:
        shape = tuple(int(p) for p in text)
    if len(shape) != 3 or min(shape) < 1:
        raise OfficialImportError(f"video shape must be T,H,W (positive ints), got {text!r}")
    return shape


def _manifest(kept: list[int], data_list, video_shape, ckpt_path: pathlib.Path, num: int):
    from inrv_jax.data.errors import DataError
    from inrv_jax.data.manifest import Manifest, ManifestEntry
    from inrv_jax.data.sources import _read_list_file

    if data_list is not None:
        if not os.path.isfile(data_list):
            raise OfficialImportError(f"{data_list}: no such data list file")
        try:
            paths = _read_list_file(str(data_list), None)
        except DataError as e:
            raise OfficialImportError(str(e)) from None
        if len(paths) < num:
            raise OfficialImportError(
                f"{data_list} names {len(paths)} videos but the checkpoint has {num}. Fix: give "
                "the list the model was trained on (one video per line, in training order)"
            )
        if len(paths) > num:
            log.info("%s names %d videos; the model was trained on the first %d", data_list,
                     len(paths), num)  # fmt: skip
    else:
        paths = [f"official:{i}" for i in range(num)]
    t = video_shape[0]
    entries = [ManifestEntry(j, paths[i], 0, t, 1, "") for j, i in enumerate(kept)]
    settings = {
        "spec": os.path.abspath(data_list) if data_list else "official",
        "frames": t,
        "size": list(video_shape[1:]),
        "stride": 1,
        "window": "start",
        "source": "official_import",
        "checkpoint": str(ckpt_path.absolute()),
    }
    if len(kept) < num:
        settings["official_rows"] = kept
    return Manifest(entries=tuple(entries), settings=settings)


def _settings(arch: OfficialArchitecture, num_videos: int, video_shape, data_list) -> Settings:
    """The settings of the imported run: the base recipe with the checkpoint's architecture."""
    settings = settings_lib.replace(Settings(), {
        "data.spec": os.path.abspath(data_list) if data_list else "official",
        "data.frames": int(video_shape[0]),
        "data.size": (int(video_shape[1]), int(video_shape[2])),
        "data.num_videos": num_videos,
        "model.latent_dim": str(arch.latent_dim),
        "model.inr.kind": "relu_pe", "model.inr.hidden": arch.inr_hidden,
        "model.inr.depth": arch.inr_depth, "model.inr.num_freqs": arch.num_freqs,
        "model.hypernet.kind": "per_tensor", "model.hypernet.hidden": arch.head_hidden,
        "model.hypernet.depth": arch.head_depth, "model.conditioning.kind": "off",
    })  # fmt: skip
    settings_lib.validate(settings)
    # model.inr.grid = the training grid: renders at other sizes at the true positions.
    return settings_lib.resolve(settings)


def _sha256(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def import_official(
    path,
    workdir,
    video_shape=(25, 100, 100),
    data_list=None,
    learned_latents_path=None,
    drop_missing: bool = False,
    trust_pickle: bool = False,
    overwrite: bool = False,
) -> dict:
    """Convert an official INR-V checkpoint into a checkpoint of this project in ``workdir``.

    Args:
      path: official ``.pth`` (see module docstring).
      workdir: output run directory; ``load_trained(workdir)`` reads it afterwards.
      video_shape: (T, H, W) the model was trained on (official: 25, 100, 100); stored as the
        clip shape tasks render at by default (any shape renders).
      data_list: optional official list file naming the training videos in code-row order.
      learned_latents_path: separate learned latents (official ``learned_latents.npy``).
      drop_missing: import only the videos that have a latent (conditional checkpoints whose
        ``learned_latents`` is incomplete).
      trust_pickle: allow arbitrary pickled objects in the files (only for trusted files).
      overwrite: replace existing checkpoints in ``workdir``.

    Returns:
      A summary: {"workdir", "step", "num_videos", "architecture", "latents", "ignored"}.
    """
    path = pathlib.Path(path)
    shape = _parse_shape(video_shape)
    ckpt_dir = pathlib.Path(workdir).absolute() / "checkpoints"
    if ckpt_dir.is_dir() and any(ckpt_dir.iterdir()) and not overwrite:
        raise OfficialImportError(
            f"{ckpt_dir} already holds checkpoints. Fix: use a new --workdir, or --overwrite to "
            "replace them"
        )
    ckpt = read_official(path, learned_latents_path, trust_pickle)
    sd = ckpt["state_dict"]
    arch = infer_architecture(sd)
    latents, kept, latent_report = official_latents(sd, ckpt["learned_latents"], arch, drop_missing)
    num_total = arch.code_rows or len(kept)
    manifest = _manifest(kept, data_list, shape, path, num_total)
    settings = _settings(arch, len(kept), shape, data_list)
    step = official_step(ckpt)
    params = {"codes": {"embedding": latents}, "hypernet": convert_hypernet(sd, arch)}
    _check_params(settings, len(kept), params)
    ignored = _ignored_tensors(sd)
    official = _provenance(path, arch, step, latent_report, ignored)
    _write(workdir, settings, manifest, params, latents, shape, step, official, overwrite)
    return {
        "workdir": str(pathlib.Path(workdir).absolute()),
        "step": step,
        "num_videos": len(kept),
        "architecture": dataclasses.asdict(arch),
        "latents": latent_report,
        "ignored": ignored,
    }


def _ignored_tensors(sd) -> dict[str, int]:
    """How many state-dict entries of each prefix (``clip``, ``net.net``, ...) the import leaves
    out; an entry of no known prefix is counted under its first name part and logged."""
    ignored: dict[str, int] = {}
    for key in sd:
        if not key.startswith(("latent_codes.", "hyper_net.")):
            prefix = next((p for p in KNOWN_PREFIXES if key.startswith(p)), None)
            name = prefix or key.split(".")[0] + "."
            ignored[name.rstrip(".")] = ignored.get(name.rstrip("."), 0) + 1
            if prefix is None:
                log.warning("ignoring unknown state-dict entry %s", key)
    return ignored


def _provenance(
    path: pathlib.Path, arch: OfficialArchitecture, step: int, latent_report: dict, ignored: dict
) -> dict:
    """What the checkpoint's metadata records of the import (``meta["official_import"]``)."""
    return {
        "checkpoint": str(path.absolute()),
        "checkpoint_sha256": _sha256(path),
        "conditional": arch.conditional,
        "architecture": dataclasses.asdict(arch),
        "official_step": step,
        "latents": latent_report,
        "ignored_tensors": ignored,
    }


def _check_params(settings: Settings, num_videos: int, params) -> None:
    """The converted tree must be exactly what ``make_model`` builds (structure and shapes)."""
    import jax

    from inrv_jax.model import make_model

    model = make_model(settings.model, num_videos)
    expected = jax.eval_shape(model.init, jax.random.key(0))
    got = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), params)
    if jax.tree.structure(expected) != jax.tree.structure(got) or jax.tree.leaves(
        expected
    ) != jax.tree.leaves(got):
        raise OfficialImportError(  # a bug here, not a bad input: report both trees
            f"converted parameters do not match the model: {str(got)[:400]} vs "
            f"{str(expected)[:400]}"
        )


def _write(workdir, settings, manifest, params, latents, shape, step, official, overwrite):
    import jax.numpy as jnp

    from inrv_jax.checkpoint import CheckpointStore, make_meta
    from inrv_jax.state import TrainState, make_optimizer

    ckpt_dir = pathlib.Path(workdir).absolute() / "checkpoints"
    if overwrite and ckpt_dir.is_dir():
        shutil.rmtree(ckpt_dir)
    params = {k: {n: jnp.asarray(v) for n, v in sub.items()} for k, sub in params.items()}
    tx = make_optimizer(settings.optim, settings.train.steps)
    state = TrainState.create(params, tx, step=step)
    latent_dim = int(settings.model.latent_dim)
    meta = make_meta(settings, manifest.to_json(), len(manifest), shape, latent_dim)
    meta["official_import"] = official
    store = CheckpointStore(workdir, keep=1, async_save=False)
    try:
        store.save(step, state, latents, meta)
    finally:
        store.close()
