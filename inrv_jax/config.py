"""Config files: the base recipe as a ConfigDict, loading files with overrides, the settings.

The schema itself (defaults, choices, descriptions, validation) is ``inrv_jax.settings``; a
ConfigDict exists only at the edge, for config files and ``--config.KEY=VALUE`` overrides, and
``to_settings`` turns it into the frozen values the library takes.

A config file is ``configs/NAME.py`` defining ``get_config(variant: str | None)`` that returns
an ``ml_collections.ConfigDict`` (usually ``base_config()`` with changes). ``variant`` comes
from ``path.py:variant`` (e.g. ``:small`` — every config has a CPU-sized ``small``).
Overrides are ``key.sub=value`` strings; the value is parsed with the type of the existing
key, so typos in key names fail loudly instead of being ignored.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import pathlib
import typing
from collections.abc import Mapping

import ml_collections

from inrv_jax import settings as settings_lib
from inrv_jax.errors import ConfigError
from inrv_jax.settings import Settings

__all__ = [
    "ConfigError", "apply_overrides", "base_config", "load_config", "to_settings", "validate",
]  # fmt: skip


def base_config() -> ml_collections.ConfigDict:
    """The faithful official recipe (DESIGN §2): official architecture, L1 + 0.7 LPIPS, Adam 1e-4.

    The defaults, choices and descriptions of every key live in ``inrv_jax.settings`` (the
    schema); this is that schema's default as a ConfigDict that config files change."""
    return to_config_dict(Settings())


def to_config_dict(value) -> ml_collections.ConfigDict:
    """A settings value as a ConfigDict; ``None`` leaves become typed references, so an
    override (``--config.data.num_videos=8``) is parsed with the key's type."""
    out = ml_collections.ConfigDict()
    hints = typing.get_type_hints(type(value))
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        if dataclasses.is_dataclass(item):
            out[f.name] = to_config_dict(item)
        elif isinstance(item, Mapping):
            out[f.name] = ml_collections.ConfigDict(dict(item))
        elif item is None:
            kind = next(a for a in typing.get_args(hints[f.name]) if a is not type(None))
            out[f.name] = ml_collections.FieldReference(None, field_type=kind)
        else:
            out[f.name] = item
    return out


def to_settings(config: ml_collections.ConfigDict) -> Settings:
    """The frozen ``Settings`` of a config (validated, derived keys filled): what the library
    takes. The one place a ConfigDict becomes settings."""
    return settings_lib.resolve(settings_lib.from_dict(config.to_dict()))


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
    """Load ``configs/NAME.py[:variant]`` and apply ``key=value`` overrides, then validate
    (``to_settings`` gives the library's settings from it)."""
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
    validate(config)
    return config


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


def validate(config: ml_collections.ConfigDict) -> None:
    """Fail at start, naming the key, on invalid or inconsistent values (``ConfigError``)."""
    to_settings(config)
