"""The config schema: the base recipe, loading config files with overrides, validation.

A config file is ``configs/NAME.py`` defining ``get_config(variant: str | None)`` that returns
an ``ml_collections.ConfigDict`` (usually ``base_config()`` with changes). ``variant`` comes
from ``path.py:variant`` (e.g. ``:small`` — every config has a CPU-sized ``small``).
Overrides are ``key.sub=value`` strings; the value is parsed with the type of the existing
key, so typos in key names fail loudly instead of being ignored.
"""

from __future__ import annotations

import ast
import importlib.util
import pathlib

import ml_collections

from inrv_jax import encoder
from inrv_jax.conditioning import CONDITIONING_KINDS
from inrv_jax.encoding import ENCODINGS
from inrv_jax.errors import ConfigError
from inrv_jax.hypernet import HYPERNETS
from inrv_jax.inr import KINDS as INR_KINDS

__all__ = ["ConfigError", "apply_overrides", "base_config", "load_config", "validate"]


def base_config() -> ml_collections.ConfigDict:
    """The faithful official recipe (DESIGN §2): official architecture, L1 + 0.7 LPIPS, Adam 1e-4."""
    c = ml_collections.ConfigDict()
    c.seed = 0

    c.data = ml_collections.ConfigDict()
    c.data.spec = "shapes"  # list file, directory, tfds:NAME[/SPLIT] or a built-in name
    c.data.frames = 25
    c.data.size = (100, 100)
    c.data.crop = "center"
    c.data.stride = 1
    c.data.window = "start"
    c.data.data_dir = ml_collections.FieldReference(None, field_type=str)
    c.data.on_error = "raise"  # or "skip" (skipped files are written to the workdir)
    c.data.num_videos = ml_collections.FieldReference(None, field_type=int)
    c.data.seed = 0
    c.data.cache_dir = ml_collections.FieldReference(None, field_type=str)
    c.data.features_path = ml_collections.FieldReference(None, field_type=str)
    c.data.builtin = ml_collections.ConfigDict()

    c.model = ml_collections.ConfigDict()
    c.model.latent_dim = "auto"  # "auto": 128 for > 2,000 videos, else 64 (official); or "96"
    c.model.code_init_std = 0.01
    c.model.compute_dtype = "float32"  # "bfloat16" on accelerators
    # encoding: inrv_jax.encoding.ENCODINGS ("nerf": official). grid: the training grid (T, H, W)
    # the band-limited encodings are built for; () takes (data.frames, *data.size) at load time.
    # max_freq: their highest frequency in units of each axis' Nyquist on that grid.
    c.model.inr = ml_collections.ConfigDict(
        dict(
            kind="relu_pe", hidden=256, depth=4, num_freqs=10, w0=30.0,
            encoding="nerf", grid=(), max_freq=1.0, num_features=64,
        )
    )  # fmt: skip
    c.model.hypernet = ml_collections.ConfigDict(
        dict(
            kind="per_tensor",  # see inrv_jax.hypernet.HYPERNETS
            hidden=256,
            depth=4,
            out_scale=0.1,
            rank=8,  # low_rank: rank of every layer's update
            chunk=2048,  # chunked: values emitted per chunk
            chunk_embed=32,  # chunked: chunk-embedding width
            chunk_depth=2,  # chunked: ReLU layers of the shared head
            mapping="linear",  # film: "linear" or "mlp" latent -> modulations
            mapping_depth=1,  # film: ReLU layers of the "mlp" mapping
        )
    )
    c.model.conditioning = ml_collections.ConfigDict(
        dict(
            kind="off",  # "encoder" (the paper's regularizer), "kl" (ablation) or "off"
            encoder="vgg16",  # frozen frame encoder, or "precomputed" (data.features_path)
            code_dim=512,
            gru_hidden=256,
            gru_layers=3,
            dropout=0.1,
            merge_hidden=512,
            kl_weight=1e-4,
        )
    )
    # A video encoder trained jointly with the hypernetwork ("video": encoder.VideoEncoder; "off":
    # none, the official model). Loss: + weight * pixel loss of the rendering of E(video * mask,
    # mask) for Task-registry masks + consistency * mean(((E - z) / code_init_std)^2).
    c.model.encoder = ml_collections.ConfigDict(
        dict(kind="off", weight=1.0, consistency=0.1, **encoder.default_config())
    )

    c.loss = ml_collections.ConfigDict()
    c.loss.distance = "l1"  # "l1" or "l2"
    c.loss.lpips_weight = 0.7
    c.loss.lpips_net = "vgg16"

    c.optim = ml_collections.ConfigDict()
    c.optim.lr = 1e-4
    c.optim.schedule = "constant"  # or "cosine" (with warmup_steps)
    c.optim.warmup_steps = 0
    c.optim.b1 = 0.9
    c.optim.b2 = 0.999
    c.optim.grad_clip = 0.0  # global-norm clip; 0 disables
    # The codebook's learning rate is lr x this (its own Adam); 1: one Adam for all (official).
    c.optim.code_lr_mult = 1.0

    c.train = ml_collections.ConfigDict()
    c.train.batch_size = 2  # global batch (videos per step)
    c.train.steps = 1000
    c.train.sample_frac = 1.0  # fraction of pixel coordinates used per step (official: 1.0)
    # Off-grid supervision: every training coordinate moves by U(-j/2, j/2) pixel (frame) widths
    # per axis (t, h, w), inside the footprint whose average the pixel value is. 0: on the grid.
    c.train.coord_jitter = (0.0, 0.0, 0.0)
    # With coord_jitter: K points per pixel inside that box, their rendered mean against the pixel
    # (the forward model of a pixel that averages its area; the INR may be sharp inside it).
    c.train.supersample = 1
    c.train.render_chunk = 1 << 16  # coordinates per chunk when rendering for eval/samples
    # Rows (videos x coordinates) per chunk of the chunked INR gradient; 0: the backend's
    # default (inrv_jax/inr.py CHUNK_ROWS: 2,048 on CPU, more on GPU/TPU).
    c.train.chunk_rows = 0
    # Rematerialise the INR activations chunk by chunk in the LPIPS path (whole frames are
    # needed there): 25x100x100 batch 2 peaks at 3.9 GB instead of 7.9 GB, and runs faster
    # (benchmarks/README.md). Without LPIPS the step always chunks its gradient.
    c.train.remat = True
    c.train.log_every = 50
    c.train.eval_every = 500
    c.train.eval_videos = 4  # held-out subset of training videos for reconstruction PSNR
    c.train.sample_every = 0  # write mp4/gif samples every N steps (0: only at the end)
    c.train.num_samples = 4
    c.train.picture_scale = 4  # samples/reconstruction pictures at 4x the training H and W
    c.train.checkpoint_every = 500
    c.train.keep_checkpoints = 3
    c.train.progress = True
    # Progressive weight initialization: videos per stage (-1: all) and steps per stage (one
    # value for all stages or one per stage). Empty: a single ordinary run.
    c.train.stages = ()  # official: (10, 100, 1000, 10000, -1)
    c.train.stage_steps = 1000

    c.mesh = ml_collections.ConfigDict()
    c.mesh.data = -1  # devices on the data axis (-1: all that the model axis leaves)
    c.mesh.model = 1
    # (regex over "/"-joined param paths, partition spec of that array); first match wins.
    c.mesh.rules = (
        (r"hypernet/out_\d+$", (None, "model")),
        (r"hypernet/out_\d+_bias$", ("model",)),
        # Families' output maps: the wide (last) axis of each latent -> parameters matrix.
        (r"hypernet/(u|v|b)_\d+/kernel$", (None, "model")),  # low_rank
        (r"hypernet/out/kernel$", (None, "model")),  # chunked: hidden -> chunk
        (r"hypernet/(to_film|to_shifts)/kernel$", (None, "model")),  # film, shift_modulation
    )

    c.distributed = ml_collections.ConfigDict()
    c.distributed.coordinator = ml_collections.FieldReference(None, field_type=str)
    c.distributed.num_processes = ml_collections.FieldReference(None, field_type=int)
    c.distributed.process_id = ml_collections.FieldReference(None, field_type=int)
    c.distributed.cpu_collectives = "gloo"  # for CPU-only multi-process runs
    return c


def fast_recipe(c: ml_collections.ConfigDict, inr_hidden: int = 64) -> None:
    """The project's fast recipe, in place (README "Recipes"): an INR ``inr_hidden`` wide and a
    128-wide hypernetwork (narrower than the official 256/...), the band-limited coordinate
    encoding (``inrv_jax/encoding.py``: renders between pixels and frames beat bicubic and
    blending, docs/continuity), L2 on half of the pixels per step without LPIPS, Adam 1e-3 with
    50 warm-up steps and a cosine decay, batch 8."""
    c.model.inr.hidden = inr_hidden
    c.model.inr.encoding = "bandlimited"
    c.model.hypernet.hidden = 128
    c.loss.distance = "l2"
    c.loss.lpips_weight = 0.0
    c.optim.lr = 1e-3
    c.optim.schedule = "cosine"
    c.optim.warmup_steps = 50
    c.train.sample_frac = 0.5
    c.train.batch_size = 8


def small_variant(c: ml_collections.ConfigDict, spec: str | None = None) -> None:
    """Shrink any recipe in place to a CPU smoke-test size (runs in seconds on a laptop).

    The recipe's choices (loss, conditioning, hypernetwork family, ...) stay; sizes shrink.
    ``spec`` replaces the data with a bundled source when the recipe needs user data.
    """
    if spec is not None:
        c.data.spec = spec
        c.data.features_path = None
        if c.model.conditioning.encoder == "precomputed":
            c.model.conditioning.encoder = "vgg16"
    c.data.num_videos = 4
    c.data.frames = 4
    c.data.size = (16, 16)
    c.model.inr.hidden = 32
    c.model.hypernet.hidden = 32
    cond = c.model.conditioning
    cond.code_dim, cond.gru_hidden, cond.merge_hidden = 32, 16, 32
    c.train.batch_size = 4
    c.train.steps = 20
    c.train.log_every = 5
    c.train.eval_every = 10
    c.train.checkpoint_every = 10
    c.train.eval_videos = 2
    c.train.num_samples = 2
    c.optim.warmup_steps = min(c.optim.warmup_steps, 2)


def load_config(path_and_variant: str, overrides: list[str] | None = None):
    """Load ``configs/NAME.py[:variant]`` and apply ``key=value`` overrides, then validate."""
    path, _, variant = path_and_variant.partition(":")
    file = pathlib.Path(path)
    if not file.is_file():
        raise ConfigError(f"config file {path!r} does not exist (expected configs/NAME.py)")
    spec = importlib.util.spec_from_file_location(f"inrv_config_{file.stem}", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "get_config"):
        raise ConfigError(f"config file {path!r} defines no get_config()")
    try:
        config = module.get_config(variant or None)
    except ValueError as e:  # e.g. an unknown variant
        raise ConfigError(f"config {path_and_variant!r}: {e}") from None
    apply_overrides(config, overrides or [])
    resolve(config)
    validate(config)
    return config


def resolve(config: ml_collections.ConfigDict) -> None:
    """Fill the derived keys in place: ``model.inr.grid`` () -> (data.frames, *data.size), the
    training grid the INR's encoding is built for (stored with every checkpoint)."""
    inr = config.model.inr
    if "grid" in inr and not tuple(inr.grid):
        inr.grid = (int(config.data.frames), *(int(x) for x in config.data.size))


def _parse_value(raw: str, current):
    if isinstance(current, bool):
        if raw.lower() in ("true", "1", "yes"):
            return True
        if raw.lower() in ("false", "0", "no"):
            return False
        raise ValueError(f"expected true/false, got {raw!r}")
    if isinstance(current, str) or current is None:
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return raw
        return raw if isinstance(current, str) and not isinstance(value, str) else value
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    return ast.literal_eval(raw)


def apply_overrides(config: ml_collections.ConfigDict, overrides: list[str]) -> None:
    """Apply ``["train.steps=10", "model.inr.hidden=64", ...]`` in place."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.removeprefix("--").removeprefix("config.")
        if not sep:
            raise ConfigError(f"override {item!r} must look like key.sub=value")
        *parents, leaf = key.split(".")
        node = config
        for p in parents:
            if p not in node:
                raise ConfigError(f"unknown config key {key!r} (no {p!r} section)")
            node = node[p]
        if leaf not in node:
            raise ConfigError(f"unknown config key {key!r}")
        try:
            node[leaf] = _parse_value(raw, node[leaf])
        except (ValueError, TypeError, SyntaxError) as e:
            raise ConfigError(f"bad value {raw!r} for config key {key!r}: {e}") from None


def set_values(config: ml_collections.ConfigDict, values: dict) -> None:
    """Set typed values by dotted key (``{"train.steps": 10}``) in place, through
    ``ConfigDict.update_from_flattened_dict``; a key the config lacks is a KeyError, never added."""
    locked = config.is_locked
    config.lock()
    try:
        config.update_from_flattened_dict(values)
    finally:
        if not locked:
            config.unlock()


def _require(cond: bool, key: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"config key {key}: {msg}")


def validate(c: ml_collections.ConfigDict) -> None:
    """Fail at start, naming the key, on invalid or inconsistent values."""
    _require(c.data.frames >= 1, "data.frames", f"must be >= 1, got {c.data.frames}")
    _require(
        len(c.data.size) == 2 and min(c.data.size) >= 2,
        "data.size",
        f"must be (height, width) each >= 2, got {c.data.size}",
    )
    _require(c.data.on_error in ("raise", "skip"), "data.on_error", "must be 'raise' or 'skip'")
    _require(c.data.window in ("start", "random"), "data.window", "must be 'start' or 'random'")
    m = c.model
    _require(
        m.latent_dim == "auto" or (str(m.latent_dim).isdigit() and int(m.latent_dim) > 0),
        "model.latent_dim",
        f"must be 'auto' or a positive int, got {m.latent_dim!r}",
    )
    _require(m.inr.kind in INR_KINDS, "model.inr.kind", f"must be one of {INR_KINDS}")
    _require(m.inr.hidden > 0 and m.inr.depth > 0, "model.inr.hidden/depth", "must be > 0")
    enc = m.inr.get("encoding", "nerf")
    _require(enc in ENCODINGS, "model.inr.encoding", f"must be one of {sorted(ENCODINGS)}")
    if enc != "nerf":
        _require(
            len(tuple(m.inr.grid)) == 3, "model.inr.grid", "must be (T, H, W) or () for the data's"
        )
        _require(m.inr.max_freq > 0, "model.inr.max_freq", f"must be > 0, got {m.inr.max_freq}")
    jitter = tuple(c.train.get("coord_jitter", (0.0, 0.0, 0.0)))
    k = c.train.get("supersample", 1)
    _require(k >= 1, "train.supersample", f"must be >= 1, got {k}")
    _require(
        k == 1 or (any(jitter) and c.loss.lpips_weight == 0),
        "train.supersample",
        "averages points inside the train.coord_jitter box: set coord_jitter, and lpips_weight=0",
    )
    _require(
        len(jitter) == 3 and all(0 <= j <= 1 for j in jitter),
        "train.coord_jitter",
        f"must be three fractions (t, h, w) in [0, 1], got {jitter}",
    )
    _require(m.hypernet.kind in HYPERNETS, "model.hypernet.kind", f"one of {sorted(HYPERNETS)}")
    _require(m.compute_dtype in ("float32", "bfloat16"), "model.compute_dtype", "float32|bfloat16")
    _require(
        c.train.get("chunk_rows", 0) >= 0, "train.chunk_rows", "must be >= 0 (0: backend default)"
    )
    cond = m.conditioning
    _require(cond.kind in CONDITIONING_KINDS, "model.conditioning.kind", str(CONDITIONING_KINDS))
    if cond.kind == "encoder" and cond.encoder == "precomputed":
        _require(
            c.data.features_path is not None,
            "data.features_path",
            "conditioning.encoder='precomputed' needs a .npy of frame features [N, T, F]",
        )
    _validate_encoder(c)
    _require(c.loss.distance in ("l1", "l2"), "loss.distance", "must be 'l1' or 'l2'")
    _require(c.loss.lpips_weight >= 0, "loss.lpips_weight", "must be >= 0")
    _require(
        c.loss.lpips_weight == 0 or c.train.sample_frac == 1.0,
        "loss.lpips_weight",
        "LPIPS needs whole frames: set train.sample_frac=1.0 or loss.lpips_weight=0",
    )
    _require(0 < c.train.sample_frac <= 1, "train.sample_frac", "must be in (0, 1]")
    _require(c.optim.lr > 0, "optim.lr", f"must be > 0, got {c.optim.lr}")
    mult = c.optim.get("code_lr_mult", 1.0)
    _require(mult > 0, "optim.code_lr_mult", f"must be > 0, got {mult}")
    _require(c.optim.schedule in ("constant", "cosine"), "optim.schedule", "constant|cosine")
    _require(
        0 <= c.optim.warmup_steps < c.train.steps,
        "optim.warmup_steps",
        f"must be in [0, train.steps={c.train.steps}), got {c.optim.warmup_steps}",
    )
    _require(c.train.batch_size >= 1, "train.batch_size", "must be >= 1")
    _require(c.train.get("picture_scale", 1) >= 1, "train.picture_scale", "must be >= 1")
    _require(c.train.steps >= 1, "train.steps", "must be >= 1")
    _require(c.mesh.model >= 1, "mesh.model", "must be >= 1")
    _require(c.mesh.data == -1 or c.mesh.data >= 1, "mesh.data", "must be -1 or >= 1")


def _validate_encoder(c: ml_collections.ConfigDict) -> None:
    """``model.encoder`` (configs written before it existed have none: no encoder)."""
    enc = c.model.get("encoder")
    if enc is None:
        return
    kinds = encoder.ENCODER_KINDS
    _require(enc.kind in kinds, "model.encoder.kind", f"must be one of {kinds}, got {enc.kind!r}")
    if enc.kind == "off":
        return
    _require(enc.weight >= 0, "model.encoder.weight", f"must be >= 0, got {enc.weight}")
    _require(enc.consistency >= 0, "model.encoder.consistency", "must be >= 0")
    _require(enc.patch >= 1, "model.encoder.patch", f"must be >= 1, got {enc.patch}")
    _require(
        min(c.data.size) >= enc.patch,
        "model.encoder.patch",
        f"{enc.patch} is larger than the frames (data.size={tuple(c.data.size)}); lower it",
    )
