"""The config schema in one place, and the frozen settings values the library takes.

A run is described by a tree of frozen dataclasses, ``Settings``: each field carries its
default, its allowed choices (where there is a closed set) and a one-line description. It is
built once at the edge — from a config file (``inrv_jax.config.to_settings``), from the config
stored in a checkpoint (``from_stored``, which runs ``migrate``) — and passed down as values:
the library never reads a ConfigDict, an argparse Namespace or a ``.get(key, default)``.

This module imports no jax (and no ml_collections): command lines read the registry *names*
below without loading the library; each library registry is checked against its name list
(tests/test_settings.py).

    Settings
      seed, data: DataSettings, model: ModelSettings (inr, hypernet, conditioning, encoder),
      loss: LossSettings, optim: OptimSettings, train: TrainSettings, mesh: MeshSettings,
      distributed: DistributedSettings
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any

from inrv_jax.errors import ConfigError

# Names of the library's registries (the registries themselves live in modules that import jax).
INR_KINDS = ("relu_pe", "siren")  # inrv_jax.inr
ENCODINGS = ("nerf", "bandlimited", "ipe", "harmonics", "fourier")  # inrv_jax.encoding
HYPERNET_KINDS = ("per_tensor", "shift_modulation", "low_rank", "chunked", "film")  # .hypernet
CONDITIONING_KINDS = ("off", "encoder", "kl")  # inrv_jax.conditioning
ENCODER_KINDS = ("off", "video")  # inrv_jax.encoder.ENCODERS, and "off"
INITS = ("zeros", "normal", "mean", "nearest", "encoder")  # inrv_jax.tasks.inversion
PRIOR_KINDS = ("gaussian", "gmm", "flow")  # inrv_jax.prior.KINDS
GENERATION_MODES = ("random", "random-interpolated")  # inrv_jax.latent_space
INTERPOLATION_METHODS = ("lerp", "slerp")  # inrv_jax.latent_space.INTERPOLATORS
CHOOSE_GRIDS = ("full", "quick")  # inrv_jax.tasks.choose.GRIDS

# Version of the stored schema: a checkpoint's config older than this is brought up to date by
# ``migrate`` before it is read (1: checkpoints written before this module, with no version).
SCHEMA_VERSION = 2


def _f(default, doc: str, choices: tuple | None = None, *, hash: bool = True):
    """A schema field: its default, its description and its choices (``None``: open)."""
    meta = {"doc": doc, "choices": choices}
    if isinstance(default, Mapping):
        return dataclasses.field(
            default_factory=lambda: types.MappingProxyType(dict(default)),
            metadata=meta,
            hash=hash,
        )
    if dataclasses.is_dataclass(default):
        return dataclasses.field(default_factory=lambda: default, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


# --- the schema ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DataSettings:
    spec: str = _f("shapes", "list file, directory, tfds:NAME[/SPLIT] or a built-in name")
    frames: int = _f(25, "T: frames per clip")
    size: tuple[int, int] = _f((100, 100), "(H, W) of every frame")
    crop: str = _f("center", 'crop before resizing: "center", "none" or "y0:y1,x0:x1"')
    stride: int = _f(1, "take every stride-th source frame")
    window: str = _f("start", "which frames a clip takes", ("start", "random"))
    data_dir: str | None = _f(None, "TFDS data dir, or the base of a list file's relative paths")
    on_error: str = _f("raise", "a bad video stops the run, or is skipped (listed in the workdir)",
                       ("raise", "skip"))  # fmt: skip
    num_videos: int | None = _f(None, "keep the first N usable videos (built-ins: how many)")
    seed: int = _f(0, "built-in generation seed and random-window seed")
    cache_dir: str | None = _f(None, "mirror decoded clips here so later runs never decode")
    features_path: str | None = _f(None, ".npy of frame features [N, T, F] (precomputed encoder)")
    builtin: Mapping[str, Any] = _f({}, "options of a built-in dataset (count, games, split...)",
                                    hash=False)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class InrSettings:
    kind: str = _f("relu_pe", "the INR family", INR_KINDS)
    hidden: int = _f(256, "width of every hidden layer")
    depth: int = _f(4, "hidden layers")
    num_freqs: int = _f(10, "nerf encoding: frequencies per axis")
    w0: float = _f(30.0, "siren: first-layer frequency")
    encoding: str = _f("nerf", "coordinate encoding (nerf: official)", ENCODINGS)
    grid: tuple[int, ...] = _f((), "training grid (T, H, W) of the band-limited encodings; (): "
                                    "the data's")  # fmt: skip
    max_freq: float = _f(1.0, "band-limited encodings: highest frequency / Nyquist of the grid")
    num_features: int = _f(64, "fourier encoding: random features")


@dataclasses.dataclass(frozen=True)
class HypernetSettings:
    kind: str = _f("per_tensor", "hypernetwork family (inrv_jax.hypernet)", HYPERNET_KINDS)
    hidden: int = _f(256, "width of the hypernetwork's MLP")
    depth: int = _f(4, "layers of the hypernetwork's MLP")
    out_scale: float = _f(0.1, "per_tensor: scale of the generated parameters")
    rank: int = _f(8, "low_rank: rank of every layer's update")
    chunk: int = _f(2048, "chunked: values emitted per chunk")
    chunk_embed: int = _f(32, "chunked: chunk-embedding width")
    chunk_depth: int = _f(2, "chunked: ReLU layers of the shared head")
    mapping: str = _f("linear", "film: latent -> modulations", ("linear", "mlp"))
    mapping_depth: int = _f(1, "film: ReLU layers of the mlp mapping")


@dataclasses.dataclass(frozen=True)
class ConditioningSettings:
    kind: str = _f("off", "the conditional regularizer (encoder: the paper's; kl: ablation)",
                   CONDITIONING_KINDS)  # fmt: skip
    encoder: str = _f("vgg16", "frozen frame encoder, or precomputed (data.features_path)")
    code_dim: int = _f(512, "frame-code width")
    gru_hidden: int = _f(256, "BiGRU width")
    gru_layers: int = _f(3, "BiGRU layers")
    dropout: float = _f(0.1, "dropout of the conditioner")
    merge_hidden: int = _f(512, "width of the merge MLP")
    kl_weight: float = _f(1e-4, "kl: weight of the KL term")


@dataclasses.dataclass(frozen=True)
class EncoderSettings:
    kind: str = _f("off", "video encoder trained jointly with the hypernetwork", ENCODER_KINDS)
    weight: float = _f(1.0, "weight of the pixel loss of the rendering of E(video * mask, mask)")
    consistency: float = _f(0.1, "weight of mean(((E - z) / code_init_std)^2)")
    patch: int = _f(4, "side of the non-overlapping patches the first layer embeds")
    stem: int = _f(64, "width of the patch embedding")
    widths: tuple[int, ...] = _f((64, 128), "one stride-2 3x3 conv stage each")
    temporal: int = _f(3, "kernel of the temporal conv (frames)")
    head: int = _f(256, "hidden width of the MLP head")


@dataclasses.dataclass(frozen=True)
class ModelSettings:
    latent_dim: str = _f("auto", '"auto": 128 for > 2,000 videos, else 64 (official); or "96"')
    code_init_std: float = _f(0.01, "std of the codebook's initial latents")
    compute_dtype: str = _f("float32", "bfloat16 on accelerators", ("float32", "bfloat16"))
    inr: InrSettings = _f(InrSettings(), "the INR")
    hypernet: HypernetSettings = _f(HypernetSettings(), "the hypernetwork")
    conditioning: ConditioningSettings = _f(ConditioningSettings(), "the conditioner")
    encoder: EncoderSettings = _f(EncoderSettings(), "the jointly trained video encoder")


@dataclasses.dataclass(frozen=True)
class LossSettings:
    distance: str = _f("l1", "pixel distance", ("l1", "l2"))
    lpips_weight: float = _f(0.7, "weight of the per-frame LPIPS term (needs whole frames)")
    lpips_net: str = _f("vgg16", "LPIPS backbone")


@dataclasses.dataclass(frozen=True)
class OptimSettings:
    lr: float = _f(1e-4, "Adam learning rate")
    schedule: str = _f("constant", "learning-rate schedule", ("constant", "cosine"))
    warmup_steps: int = _f(0, "cosine: linear warm-up steps")
    b1: float = _f(0.9, "Adam b1")
    b2: float = _f(0.999, "Adam b2")
    grad_clip: float = _f(0.0, "global-norm clip; 0 disables")
    code_lr_mult: float = _f(1.0, "codebook lr = lr x this (its own Adam); 1: one Adam (official)")


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    batch_size: int = _f(2, "global batch (videos per step)")
    steps: int = _f(1000, "training steps")
    sample_frac: float = _f(1.0, "fraction of pixel coordinates per step (official: 1.0)")
    coord_jitter: tuple[float, float, float] = _f(
        (0.0, 0.0, 0.0), "(t, h, w) jitter of training coordinates in pixel widths; 0: on the grid"
    )
    supersample: int = _f(1, "with coord_jitter: points per pixel whose rendered mean is fitted")
    render_chunk: int = _f(1 << 16, "coordinates per chunk when rendering for eval/samples")
    chunk_rows: int = _f(0, "rows per chunk of the chunked INR gradient; 0: backend default")
    remat: bool = _f(True, "rematerialise INR activations chunk by chunk in the LPIPS path")
    log_every: int = _f(50, "steps between log lines")
    eval_every: int = _f(500, "steps between reconstruction evals (0: only at the end)")
    eval_videos: int = _f(4, "training videos of the periodic reconstruction PSNR")
    sample_every: int = _f(0, "steps between written samples (0: only at the end)")
    num_samples: int = _f(4, "sampled videos written")
    picture_scale: int = _f(4, "sample/reconstruction pictures at this x the training H and W")
    checkpoint_every: int = _f(500, "steps between checkpoints")
    keep_checkpoints: int = _f(3, "checkpoints kept")
    progress: bool = _f(True, "a progress bar")
    stages: tuple[int, ...] = _f((), "progressive init: videos per stage (-1: all); (): off")
    stage_steps: int | tuple[int, ...] = _f(1000, "progressive init: steps per stage (or each)")


MeshRule = tuple[str, tuple[str | None, ...]]


@dataclasses.dataclass(frozen=True)
class MeshSettings:
    data: int = _f(-1, "devices on the data axis (-1: all that the model axis leaves)")
    model: int = _f(1, "devices on the model axis")
    rules: tuple[MeshRule, ...] = _f(
        (
            (r"hypernet/out_\d+$", (None, "model")),
            (r"hypernet/out_\d+_bias$", ("model",)),
            (r"hypernet/(u|v|b)_\d+/kernel$", (None, "model")),  # low_rank
            (r"hypernet/out/kernel$", (None, "model")),  # chunked: hidden -> chunk
            (r"hypernet/(to_film|to_shifts)/kernel$", (None, "model")),  # film, shift_modulation
        ),
        "(regex over '/'-joined param paths, partition spec); first match wins",
    )


@dataclasses.dataclass(frozen=True)
class DistributedSettings:
    coordinator: str | None = _f(None, '"auto" or "HOST:PORT" for multi-process runs')
    num_processes: int | None = _f(None, "processes of a multi-process run")
    process_id: int | None = _f(None, "this process's index")
    cpu_collectives: str = _f("gloo", "collectives of CPU-only multi-process runs")


@dataclasses.dataclass(frozen=True)
class RenderSettings:
    """How ``inrv_jax.rendering.render`` bounds its memory (not part of a run's settings)."""

    chunk: int = _f(1 << 14, "coordinates per chunk")
    rows: int | None = _f(None, "rows (videos x coordinates) per chunk; None: the backend's")
    batch: int = _f(16, "videos per compiled call (the last batch is padded)")


@dataclasses.dataclass(frozen=True)
class Settings:
    seed: int = _f(0, "seed of initialisation and per-step randomness")
    data: DataSettings = _f(DataSettings(), "the training videos")
    model: ModelSettings = _f(ModelSettings(), "the model")
    loss: LossSettings = _f(LossSettings(), "the loss")
    optim: OptimSettings = _f(OptimSettings(), "the optimizer")
    train: TrainSettings = _f(TrainSettings(), "the training loop")
    mesh: MeshSettings = _f(MeshSettings(), "the device mesh and sharding rules")
    distributed: DistributedSettings = _f(DistributedSettings(), "multi-process runs")

    @property
    def video_shape(self) -> tuple[int, int, int]:
        """(T, H, W) of the training clips."""
        return (int(self.data.frames), *(int(s) for s in self.data.size))


# --- building, converting, replacing ---------------------------------------------------------


def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _coerce(value, hint, key: str):
    """``value`` (JSON or ConfigDict leaves: lists for tuples) as the field type ``hint``."""
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise ConfigError(f"config key {key}: must be a section, got {value!r}")
        return _build(hint, value, key)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, arg, key)
            except (ConfigError, TypeError, ValueError):
                continue
        raise ConfigError(f"config key {key}: {value!r} is not a {hint}")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config key {key}: must be a sequence, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], key) for v in value)
        if len(args) != len(value):
            raise ConfigError(f"config key {key}: must have {len(args)} entries, got {value!r}")
        return tuple(_coerce(v, a, key) for v, a in zip(value, args, strict=True))
    if origin is not None and issubclass(origin, Mapping) or hint is Mapping:
        return types.MappingProxyType({k: _frozen(v) for k, v in dict(value or {}).items()})
    return _leaf(value, hint, key)


def _frozen(value):
    """Free-form values (``data.builtin``) with lists as tuples, as config files write them."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


def _leaf(value, hint, key: str):
    if hint is Any:
        return value
    if hint is type(None):
        if value is not None:
            raise ConfigError(f"config key {key}: must be None")
        return None
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"config key {key}: must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"config key {key}: must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"config key {key}: must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ConfigError(f"config key {key}: must be a string, got {value!r}")
        return str(value)
    raise TypeError(f"config key {key}: the schema type {hint} is not supported")


def _build(cls, values: Mapping, prefix: str = ""):
    """``cls`` from a nested mapping; absent keys keep their defaults, unknown keys fail."""
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        where = f"{prefix}." if prefix else ""
        raise ConfigError(f"unknown config key {where}{unknown[0]!r}")
    kwargs = {
        name: _coerce(values[name], hints[name], f"{prefix}.{name}".lstrip("."))
        for name in names
        if name in values
    }
    return cls(**kwargs)


def section(cls, values: Mapping, prefix: str = ""):
    """One schema section (e.g. ``EncoderSettings``) from a mapping; absent keys: defaults."""
    return _build(cls, values, prefix)


def from_dict(values: Mapping) -> Settings:
    """``Settings`` from a nested mapping (a config's ``to_dict()``), validated."""
    settings = _build(Settings, values)
    validate(settings)
    return settings


def to_dict(value) -> dict:
    """A settings value as nested plain dicts (tuples kept; mappings as dicts)."""
    out = {}
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        if dataclasses.is_dataclass(item):
            item = to_dict(item)
        elif isinstance(item, Mapping):
            item = dict(item)
        out[f.name] = item
    return out


def replace(value, changes: Mapping[str, Any], prefix: str = ""):
    """A copy of a settings value with dotted keys replaced (``{"train.steps": 10}``)."""
    nested: dict = {}
    for key, new in changes.items():
        head, _, rest = key.partition(".")
        if not any(f.name == head for f in dataclasses.fields(value)):
            raise ConfigError(f"unknown config key {prefix + key!r}")
        if rest:
            nested.setdefault(head, {})[rest] = new
        else:
            nested[head] = _coerce(new, _hints(type(value))[head], prefix + key)
    updated = {
        k: replace(getattr(value, k), v, f"{prefix}{k}.") if isinstance(v, dict) else v
        for k, v in nested.items()
    }
    return dataclasses.replace(value, **updated)


def schema_rows(cls=Settings, prefix: str = ""):
    """``(dotted key, default, choices, description)`` of every leaf, in schema order."""
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        hint = _hints(cls)[f.name]
        if dataclasses.is_dataclass(hint):
            yield from schema_rows(hint, f"{key}.")
        else:
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            yield key, default, f.metadata.get("choices"), f.metadata.get("doc", "")


# --- validation ------------------------------------------------------------------------------


def _require(cond: bool, key: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"config key {key}: {msg}")


def _check_choices(value, cls, prefix: str = "") -> None:
    """Every field with a closed set of choices holds one of them."""
    for f in dataclasses.fields(cls):
        item, key = getattr(value, f.name), f"{prefix}{f.name}"
        if dataclasses.is_dataclass(item):
            _check_choices(item, type(item), f"{key}.")
        elif f.metadata.get("choices") is not None:
            choices = f.metadata["choices"]
            _require(item in choices, key, f"must be one of {choices}, got {item!r}")


def _validate_data(d: DataSettings) -> None:
    _require(d.frames >= 1, "data.frames", f"must be >= 1, got {d.frames}")
    _require(min(d.size) >= 2, "data.size", f"must be (height, width) each >= 2, got {d.size}")


def _validate_model(s: Settings) -> None:
    m = s.model
    _require(
        m.latent_dim == "auto" or (m.latent_dim.isdigit() and int(m.latent_dim) > 0),
        "model.latent_dim",
        f"must be 'auto' or a positive int, got {m.latent_dim!r}",
    )
    _require(m.inr.hidden > 0 and m.inr.depth > 0, "model.inr.hidden/depth", "must be > 0")
    if m.inr.encoding != "nerf":
        _require(len(m.inr.grid) in (0, 3), "model.inr.grid",
                 "must be (T, H, W) or () for the data's")  # fmt: skip
        _require(m.inr.max_freq > 0, "model.inr.max_freq", f"must be > 0, got {m.inr.max_freq}")
    cond = m.conditioning
    if cond.kind == "encoder" and cond.encoder == "precomputed":
        _require(
            s.data.features_path is not None,
            "data.features_path",
            "conditioning.encoder='precomputed' needs a .npy of frame features [N, T, F]",
        )
    enc = m.encoder
    if enc.kind != "off":
        _require(enc.weight >= 0, "model.encoder.weight", f"must be >= 0, got {enc.weight}")
        _require(enc.consistency >= 0, "model.encoder.consistency", "must be >= 0")
        _require(enc.patch >= 1, "model.encoder.patch", f"must be >= 1, got {enc.patch}")
        _require(
            min(s.data.size) >= enc.patch,
            "model.encoder.patch",
            f"{enc.patch} is larger than the frames (data.size={s.data.size}); lower it",
        )


def _validate_training(s: Settings) -> None:
    t, loss = s.train, s.loss
    _require(t.supersample >= 1, "train.supersample", f"must be >= 1, got {t.supersample}")
    _require(
        t.supersample == 1 or (any(t.coord_jitter) and loss.lpips_weight == 0),
        "train.supersample",
        "averages points inside the train.coord_jitter box: set coord_jitter, and lpips_weight=0",
    )
    _require(
        all(0 <= j <= 1 for j in t.coord_jitter),
        "train.coord_jitter",
        f"must be three fractions (t, h, w) in [0, 1], got {t.coord_jitter}",
    )
    _require(t.chunk_rows >= 0, "train.chunk_rows", "must be >= 0 (0: backend default)")
    _require(loss.lpips_weight >= 0, "loss.lpips_weight", "must be >= 0")
    _require(
        loss.lpips_weight == 0 or t.sample_frac == 1.0,
        "loss.lpips_weight",
        "LPIPS needs whole frames: set train.sample_frac=1.0 or loss.lpips_weight=0",
    )
    _require(0 < t.sample_frac <= 1, "train.sample_frac", "must be in (0, 1]")
    o = s.optim
    _require(o.lr > 0, "optim.lr", f"must be > 0, got {o.lr}")
    _require(o.code_lr_mult > 0, "optim.code_lr_mult", f"must be > 0, got {o.code_lr_mult}")
    _require(
        0 <= o.warmup_steps < t.steps,
        "optim.warmup_steps",
        f"must be in [0, train.steps={t.steps}), got {o.warmup_steps}",
    )
    _require(t.batch_size >= 1, "train.batch_size", "must be >= 1")
    _require(t.picture_scale >= 1, "train.picture_scale", "must be >= 1")
    _require(t.steps >= 1, "train.steps", "must be >= 1")
    _require(s.mesh.model >= 1, "mesh.model", "must be >= 1")
    _require(s.mesh.data == -1 or s.mesh.data >= 1, "mesh.data", "must be -1 or >= 1")


def validate(s: Settings) -> None:
    """Fail at start, naming the key, on invalid or inconsistent values (ConfigError)."""
    _check_choices(s, Settings)
    _validate_data(s.data)
    _validate_model(s)
    _validate_training(s)


def resolve(s: Settings) -> Settings:
    """The derived keys filled: ``model.inr.grid`` () -> (data.frames, *data.size), the training
    grid the INR's encoding is built for (stored with every checkpoint)."""
    if s.model.inr.grid:
        return s
    return replace(s, {"model.inr.grid": s.video_shape})


# --- configs stored by earlier versions ------------------------------------------------------

# Keys added to the schema after the first checkpoints were written, with the value that
# reproduces a run made before the key existed (what the library assumed then). A stored config
# of schema version 1 that lacks one gets this value, whatever today's default is.
ADDED_AFTER_V1 = {
    "model.compute_dtype": "float32",
    "model.inr.num_freqs": 10,
    "model.inr.w0": 30.0,
    "model.inr.encoding": "nerf",
    "model.inr.grid": (),
    "model.inr.max_freq": 1.0,
    "model.inr.num_features": 64,
    "model.hypernet.rank": 8,
    "model.hypernet.chunk": 2048,
    "model.hypernet.chunk_embed": 32,
    "model.hypernet.chunk_depth": 2,
    "model.hypernet.mapping": "linear",
    "model.hypernet.mapping_depth": 1,
    "model.encoder.kind": "off",
    "optim.code_lr_mult": 1.0,
    "train.coord_jitter": (0.0, 0.0, 0.0),
    "train.supersample": 1,
    "train.chunk_rows": 0,
    "train.picture_scale": 4,
}


def _absent(tree: Mapping, key: str) -> bool:
    node = tree
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return True
        node = node[part]
    return False


def _set(tree: dict, key: str, value) -> None:
    *parents, leaf = key.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[leaf] = value


def migrate(stored: Mapping, version: int) -> dict:
    """A config stored by schema ``version`` (``meta["config"]``) as today's schema expects it.

    Version 1 (before this module): keys added since are filled with ``ADDED_AFTER_V1``'s
    values; every other absent key takes its default when the settings are built. A newer
    version than this library knows fails with the fix.
    """
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"the checkpoint's config has schema version {version}, newer than this inrv_jax "
            f"reads ({SCHEMA_VERSION}); upgrade inrv_jax"
        )
    out = _deep_copy(stored)
    if version < 2:
        for key, value in ADDED_AFTER_V1.items():
            if _absent(out, key):
                _set(out, key, value)
    return out


def _deep_copy(tree: Mapping) -> dict:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in tree.items()}


def from_stored(stored: Mapping, version: int) -> Settings:
    """The settings of a run from the config its checkpoint stored (``migrate`` first)."""
    return from_dict(migrate(stored, version))
