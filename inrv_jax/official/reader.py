"""Reading official INR-V PyTorch checkpoints: loading, architecture inference from tensor
shapes, conversion of the per-tensor heads into this project's stacked layout, learned latents.

The writer and the ``inrv import-official`` command live in ``inrv_jax.official.importer``.
"""

from __future__ import annotations

import dataclasses
import logging
import pathlib
import pickle
import re
from collections.abc import Mapping

import numpy as np

from inrv_jax.errors import UserError

log = logging.getLogger(__name__)

HEAD = "hyper_net.nets.{k}.net.{l}.0.{p}"
KNOWN_PREFIXES = ("latent_codes.", "net.net.", "hyper_net.", "clip.", "mergeclipinstance.")
TORCH_HINT = "pip install 'inrv_jax[torch]'"


class OfficialImportError(UserError, ValueError):
    """An official checkpoint that cannot be imported; the message names the file and the fix."""


@dataclasses.dataclass(frozen=True)
class OfficialArchitecture:
    """Sizes of an official model, in this project's terms.

    Attributes:
      latent_dim: hypernetwork input size (official ``hn_in``).
      head_hidden: width of every head's hidden layers.
      head_depth: hidden (ReLU) layers per head; a head has head_depth + 1 linear layers.
      inr_hidden: INR hidden width; inr_depth: INR hidden (ReLU) layers (official INR: 4).
      num_freqs: positional-encoding frequencies; out_dim: INR output channels.
      num_heads: heads = INR tensors (2 per INR layer).
      code_rows / code_dim: shape of ``latent_codes.weight`` (code_dim 512 when conditional);
        (0, 0) when the state dict has no codebook.
      conditional: the conditional branch (``clip.*`` / ``mergeclipinstance.*``) is present.
    """

    latent_dim: int
    head_hidden: int
    head_depth: int
    inr_hidden: int
    inr_depth: int
    num_freqs: int
    out_dim: int
    num_heads: int
    code_rows: int
    code_dim: int
    conditional: bool


# ------------------------------------------------------------------------------------------
# Reading files.


def _import_torch():
    try:
        import torch
    except ImportError as e:
        raise OfficialImportError(
            f"reading official .pth checkpoints needs PyTorch, which is not installed ({e}). "
            f"Fix: {TORCH_HINT}"
        ) from None
    return torch


def _torch_load(path: pathlib.Path, trust_pickle: bool):
    torch = _import_torch()
    try:
        return torch.load(path, map_location="cpu", weights_only=not trust_pickle)
    except pickle.UnpicklingError as e:
        found = re.search(r"GLOBAL (\S+)", str(e))
        if found and not trust_pickle:
            raise OfficialImportError(
                f"{path}: holds Python objects beyond tensors ({found.group(1)}), which the safe "
                "loader refuses. Fix: if you trust the file, pass --trust-pickle "
                "(trust_pickle=True), which may run code stored in it"
            ) from None
        raise OfficialImportError(
            f"{path} is not a PyTorch checkpoint ({str(e).splitlines()[0][:200]}). Fix: give the "
            ".pth the official training script wrote (ckpt_*.pth or model_*.pth)"
        ) from None
    except Exception as e:  # noqa: BLE001 - torch raises many types for non-checkpoints
        raise OfficialImportError(
            f"{path} is not a PyTorch checkpoint (torch.load failed: {type(e).__name__}: "
            f"{str(e)[:200]}). Fix: give the .pth the official training script wrote "
            "(ckpt_*.pth or model_*.pth)"
        ) from None


def _array(x) -> np.ndarray:
    """A torch tensor (any dtype or device) or array-like -> numpy (float32 for floats)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu()
        if x.is_floating_point():
            x = x.float()
        x = x.numpy()
    x = np.asarray(x)
    return x.astype(np.float32) if np.issubdtype(x.dtype, np.floating) else x


def _is_state_dict(obj) -> bool:
    return isinstance(obj, Mapping) and any(
        isinstance(k, str) and "hyper_net.nets." in k for k in obj
    )


def _strip_module_prefix(sd: Mapping) -> dict:
    keys = [k for k in sd if isinstance(k, str)]
    if keys and all(k.startswith("module.") for k in keys):
        return {k[len("module.") :]: v for k, v in sd.items()}
    return dict(sd)


def read_official(path, learned_latents_path=None, trust_pickle: bool = False) -> dict:
    """Read an official checkpoint file.

    Args:
      path: ``ckpt_*.pth`` ({"model", "optim", "learned_latents"}) or a bare state dict.
      learned_latents_path: optional separate learned latents (official ``learned_latents.npy``
        dict, a ``.npy`` array [N, D], or a torch file holding either); overrides any in ``path``.
      trust_pickle: allow arbitrary pickled objects (``torch.load(weights_only=False)``, pickled
        ``.npy``). Only for files you trust.

    Returns:
      {"state_dict": {key: tensor}, "learned_latents": mapping or array or None,
       "optim": optimizer state dict or None, "step": int or None}
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise OfficialImportError(
            f"{path}: no such file. Fix: give the path of an official INR-V checkpoint (.pth)"
        )
    obj = _torch_load(path, trust_pickle)
    if isinstance(obj, Mapping) and isinstance(obj.get("model"), Mapping):
        sd, latents, optim = obj["model"], obj.get("learned_latents"), obj.get("optim")
        step = obj.get("step", obj.get("total_steps"))
    elif _is_state_dict(obj) or (isinstance(obj, Mapping) and "latent_codes.weight" in obj):
        sd, latents, optim, step = obj, None, None, None
    else:
        what = (
            f"a dict with keys {sorted(map(str, obj))[:8]}"
            if isinstance(obj, Mapping)
            else type(obj).__name__
        )
        raise OfficialImportError(
            f"{path}: holds {what}, not an INR-V checkpoint. Fix: give the official "
            '{"model": state_dict, "optim": ..., "learned_latents": ...} file or a VideoGen '
            "state dict"
        )
    sd = _strip_module_prefix(sd)
    if learned_latents_path is not None:
        latents = _read_latents_file(pathlib.Path(learned_latents_path), trust_pickle)
    return {
        "state_dict": sd,
        "learned_latents": latents,
        "optim": optim,
        "step": int(step) if isinstance(step, int) else None,
    }


def _read_latents_file(path: pathlib.Path, trust_pickle: bool):
    if not path.is_file():
        raise OfficialImportError(f"{path}: no such learned-latents file")
    if path.suffix != ".npy":
        return _torch_load(path, trust_pickle)
    try:
        arr = np.load(path, allow_pickle=trust_pickle)
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise OfficialImportError(
                f"{path}: is a pickled object array (the official learned_latents.npy dict). "
                "Fix: if you trust the file, pass --trust-pickle"
            ) from None
        raise OfficialImportError(f"{path}: not a readable .npy file ({e})") from None
    except Exception as e:  # noqa: BLE001 - corrupt files raise anything
        raise OfficialImportError(f"{path}: not a readable .npy file ({e})") from None
    return arr.item() if arr.dtype == object and arr.shape == () else arr


# ------------------------------------------------------------------------------------------
# Architecture and conversion.


def _shape(sd: Mapping, key: str) -> tuple[int, ...]:
    if key not in sd:
        raise OfficialImportError(
            f"state dict is missing {key!r}; is this an official INR-V VideoGen checkpoint?"
        )
    return tuple(int(s) for s in sd[key].shape)


def _head_layers(sd: Mapping, k: int) -> list[tuple[int, int]]:
    """(out, in) of every linear layer of head k (weight stored (out, in))."""
    layers, layer = [], 0
    while HEAD.format(k=k, l=layer, p="weight") in sd:
        w = _shape(sd, HEAD.format(k=k, l=layer, p="weight"))
        b = _shape(sd, HEAD.format(k=k, l=layer, p="bias"))
        if len(w) != 2 or b != (w[0],):
            raise OfficialImportError(
                f"head {k} layer {layer}: weight {w} and bias {b} are not a Linear layer"
            )
        layers.append(w)
        layer += 1
    return layers


def _hypernet_heads(sd: Mapping) -> list[list[tuple[int, int]]]:
    """(out, in) of every linear layer of every head, checked: a weight and a bias head per INR
    layer, at least two layers, and all heads alike (depth, latent size, hidden width, chained)."""
    heads = []
    while HEAD.format(k=len(heads), l=0, p="weight") in sd:
        heads.append(_head_layers(sd, len(heads)))
    if not heads:
        sample = list(sd)[:6]
        raise OfficialImportError(
            "state dict has no hypernetwork heads (expected keys "
            f"'hyper_net.nets.{{k}}.net.{{l}}.0.weight|bias', found e.g. {sample}); is this an "
            "official INR-V VideoGen checkpoint?"
        )
    if len(heads) % 2 or len(heads) < 4:
        raise OfficialImportError(
            f"found {len(heads)} hypernetwork heads; an INR needs a weight and a bias head per "
            "layer and at least two layers"
        )
    depths = {len(h) for h in heads}
    if len(depths) != 1:
        raise OfficialImportError(f"hypernetwork heads have different depths {sorted(depths)}")
    latent_dims = {h[0][1] for h in heads}
    if len(latent_dims) != 1:
        raise OfficialImportError(f"hypernetwork heads read latents of sizes {sorted(latent_dims)}")
    widths = {out for h in heads for out, _ in h[:-1]}
    if len(widths) > 1:
        per_head = [[out for out, _ in h[:-1]] for h in heads]
        raise OfficialImportError(
            f"hypernetwork heads have unequal hidden widths {per_head}; inrv_jax stores the heads' "
            "hidden layers stacked and needs one width for all"
        )
    for k, h in enumerate(heads):
        for layer in range(1, len(h)):
            if h[layer][1] != h[layer - 1][0]:
                raise OfficialImportError(
                    f"head {k}: layer {layer} reads {h[layer][1]} inputs but layer {layer - 1} "
                    f"gives {h[layer - 1][0]}"
                )
    return heads


def _inr_layers(sd: Mapping, heads: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """(out, in) of every INR layer from the heads' output sizes (a bias head gives ``out``, the
    weight head before it ``out * in``), checked: chained, one hidden width, a NeRF-encoded
    (t, h, w) input, RGB output, and the unused INR template (when present) of those shapes."""
    sizes = [h[-1][0] for h in heads]
    inr = []
    for layer, (w_size, b_size) in enumerate(zip(sizes[::2], sizes[1::2], strict=True)):
        if w_size % b_size:
            raise OfficialImportError(
                f"INR layer {layer}: weight head has {w_size} outputs, not a multiple of its bias "
                f"head's {b_size}"
            )
        inr.append((b_size, w_size // b_size))
    for layer in range(1, len(inr)):
        if inr[layer][1] != inr[layer - 1][0]:
            raise OfficialImportError(f"INR layer {layer} input does not match layer {layer - 1}")
    hidden = {out for out, _ in inr[:-1]}
    if len(hidden) != 1:
        raise OfficialImportError(f"INR hidden layers have unequal widths {sorted(hidden)}")
    enc = inr[0][1]
    if enc < 3 or (enc - 3) % 6:
        raise OfficialImportError(
            f"INR input size {enc} is not 3 * (1 + 2F) (NeRF encoding of (t, h, w))"
        )
    if inr[-1][0] != 3:
        raise OfficialImportError(f"INR outputs {inr[-1][0]} channels; inrv_jax renders RGB (3)")
    for layer, (out, fan_in) in enumerate(inr):
        key = f"net.net.{layer}.0.weight"
        if key in sd and _shape(sd, key) != (out, fan_in):
            raise OfficialImportError(
                f"{key} has shape {_shape(sd, key)} but the heads predict ({out}, {fan_in})"
            )
    return inr


def _check_latent_size(sd: Mapping, latent_dim: int, conditional: bool, rows: int, code_dim: int):
    """The latents the heads read come out of the merge MLP (conditional) or the code table."""
    if conditional and "mergeclipinstance.2.weight" in sd:
        merge_out = _shape(sd, "mergeclipinstance.2.weight")[0]
        if merge_out != latent_dim:
            raise OfficialImportError(
                f"mergeclipinstance gives {merge_out}-d latents but the heads read {latent_dim}"
            )
    elif not conditional and rows and code_dim != latent_dim:
        raise OfficialImportError(
            f"latent_codes.weight is {code_dim}-d but the heads read {latent_dim}-d latents"
        )


def infer_architecture(sd: Mapping) -> OfficialArchitecture:
    """Read the architecture from tensor shapes (see the module docstring). Only ``.shape`` of
    the tensors is used, so meta tensors work too."""
    heads = _hypernet_heads(sd)
    inr = _inr_layers(sd, heads)
    rows, code_dim = _shape(sd, "latent_codes.weight") if "latent_codes.weight" in sd else (0, 0)
    conditional = any(k.startswith(("clip.", "mergeclipinstance.")) for k in sd)
    latent_dim = heads[0][0][1]  # every head reads the same size (checked)
    _check_latent_size(sd, latent_dim, conditional, rows, code_dim)
    head = heads[0]  # all heads have one depth and one hidden width (checked)
    return OfficialArchitecture(
        latent_dim=latent_dim,
        head_hidden=head[0][0] if len(head) > 1 else 0,
        head_depth=len(head) - 1,
        inr_hidden=inr[0][0],
        inr_depth=len(inr) - 1,
        num_freqs=(inr[0][1] - 3) // 6,
        out_dim=3,
        num_heads=len(heads),
        code_rows=rows,
        code_dim=code_dim,
        conditional=conditional,
    )


def convert_hypernet(sd: Mapping, arch: OfficialArchitecture) -> dict[str, np.ndarray]:
    """Official per-head layers -> ``PerTensorHyperNet`` params (Flax kernels are (in, out)).

    Returns:
      {"hidden_{l}": [K, in, hidden], "hidden_{l}_bias": [K, hidden] for l < head_depth,
       "out_{j}": [hidden, numel_j], "out_{j}_bias": [numel_j] for every head j}.
    """
    out: dict[str, np.ndarray] = {}
    heads = range(arch.num_heads)
    for layer in range(arch.head_depth):
        out[f"hidden_{layer}"] = np.stack(
            [_array(sd[HEAD.format(k=k, l=layer, p="weight")]).T for k in heads]
        )
        out[f"hidden_{layer}_bias"] = np.stack(
            [_array(sd[HEAD.format(k=k, l=layer, p="bias")]) for k in heads]
        )
    last = arch.head_depth
    for k in heads:
        out[f"out_{k}"] = np.ascontiguousarray(_array(sd[HEAD.format(k=k, l=last, p="weight")]).T)
        out[f"out_{k}_bias"] = _array(sd[HEAD.format(k=k, l=last, p="bias")])
    return out


def _latent_rows(learned) -> dict[int, np.ndarray]:
    """Official ``{i: [mu, logvar, z]}`` (or ``{i: z}``, or an array [N, D]) -> {i: f32[D]}."""
    if learned is None:
        return {}
    if not isinstance(learned, Mapping):
        arr = _array(learned)
        if arr.ndim != 2:
            raise OfficialImportError(f"learned latents array has shape {arr.shape}, not [N, D]")
        return {i: arr[i] for i in range(arr.shape[0])}
    rows = {}
    for key, value in learned.items():
        z = value[2] if isinstance(value, (list, tuple)) else value
        if z is None:
            raise OfficialImportError(f"learned_latents[{key}] holds no latent z")
        rows[int(_array(key)) if not isinstance(key, int) else key] = _array(z).reshape(-1)
    return rows


def official_latents(
    sd: Mapping, learned, arch: OfficialArchitecture, drop_missing: bool = False
) -> tuple[np.ndarray, list[int], dict]:
    """The latents fed to the hypernetwork for every training video (see module docstring).

    Returns:
      (latents f32[N, D], official row index of each, report dict).
    """
    rows = _latent_rows(learned)
    num = arch.code_rows or (max(rows) + 1 if rows else 0)
    if num == 0:
        raise OfficialImportError(
            "the checkpoint has neither latent_codes.weight nor learned_latents"
        )
    bad = [i for i in rows if not 0 <= i < num]
    if bad:
        raise OfficialImportError(
            f"learned_latents names rows {sorted(bad)[:5]} outside the codebook of {num}"
        )
    dims = {z.shape[0] for z in rows.values()}
    if dims and dims != {arch.latent_dim}:
        raise OfficialImportError(
            f"learned_latents are {sorted(dims)}-d but the hypernetwork reads {arch.latent_dim}-d"
        )
    missing = [i for i in range(num) if i not in rows]
    codes = None
    if missing and not arch.conditional and arch.code_rows:
        codes = _array(sd["latent_codes.weight"])
    if missing and codes is None and not drop_missing:
        cause = (
            "a conditional model's latents need its frame encoder, so they cannot be recomputed"
            if arch.conditional
            else "the state dict has no latent_codes.weight to fall back on"
        )
        raise OfficialImportError(
            f"learned_latents lacks {len(missing)} of {num} videos (e.g. {missing[:5]}); {cause}. "
            "Fix: pass the complete learned latents (--learned-latents logs/NAME/learned_latents"
            ".npy), or --drop-missing-latents to import only the videos that have one"
        )
    kept = [i for i in range(num) if i in rows or codes is not None]
    if not kept:
        raise OfficialImportError("learned_latents is empty: no video to import")
    latents = np.stack([rows[i] if i in rows else codes[i] for i in kept]).astype(np.float32)
    report = {"from_learned_latents": len(rows), "from_codebook": len(kept) - len(rows)}
    if drop_missing and len(kept) < num:
        report["dropped_rows"] = missing
    return latents, kept, report


def official_step(ckpt: dict) -> int:
    """Training steps of the run: Adam's step count in the optimizer state, else ``step``, else 0."""
    steps = []
    optim = ckpt.get("optim")
    if isinstance(optim, Mapping) and isinstance(optim.get("state"), Mapping):
        for state in optim["state"].values():
            if isinstance(state, Mapping) and "step" in state:
                steps.append(int(np.asarray(_array(state["step"])).reshape(-1)[0]))
    if steps:
        return max(steps)
    return int(ckpt.get("step") or 0)
