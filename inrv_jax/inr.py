"""The video INR: a parameter spec, a pure apply for one coordinate, and chunked rendering.

The INR maps one pixel coordinate (t, h, w) to an RGB value in [-1, 1]. Its parameters are
an explicit pytree — a tuple of layers ``{"w": f32[out, in], "b": f32[out]}`` applied as
``W @ x + b`` (the official layout: a hypernetwork head's output reshapes to (out, in)).
``inr_param_spec`` is the single source of truth for that tree; everything that produces
INR parameters (hypernetworks, single-INR fitting, checkpoint import) must match it.

Two kinds:
  * ``relu_pe``: a coordinate encoding (``inrv_jax.encoding.ENCODINGS``: the official NeRF one,
    or band-limited / integrated ones that stay continuous between samples), ReLU hidden
    layers, linear output (official).
  * ``siren``: raw coordinates, sine activations ``sin(w0 (W x + b))``, linear output.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from inrv_jax.encoding import EncodingSpec, encode
from inrv_jax.settings import INR_KINDS, InrSettings

KINDS = INR_KINDS


@dataclasses.dataclass(frozen=True)
class INRSpec:
    """Architecture of the INR (hashable, so it can be a static argument).

    Attributes:
      kind: "relu_pe" (official) or "siren".
      hidden: width of every hidden layer.
      depth: number of hidden (activated) layers; the official INR has 4.
      num_freqs: positional-encoding octaves (relu_pe only).
      encoding: the coordinate encoding of relu_pe (``inrv_jax.encoding.ENCODINGS``);
        grid / max_freq / num_features: its training grid (T, H, W), band limit in units of
        the grid's Nyquist frequency, and random-feature count (``encoding.EncodingSpec``).
      w0: SIREN frequency factor (siren only).
      in_dim / out_dim: coordinate and colour dims.
    """

    kind: str = "relu_pe"
    hidden: int = 256
    depth: int = 4
    num_freqs: int = 10
    w0: float = 30.0
    encoding: str = "nerf"
    grid: tuple[int, ...] = ()
    max_freq: float = 1.0
    num_features: int = 64
    in_dim: int = 3
    out_dim: int = 3

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"model.inr.kind must be one of {KINDS}, got {self.kind!r}")
        if self.hidden < 1 or self.depth < 1:
            raise ValueError(f"INR hidden and depth must be >= 1, got {self.hidden}, {self.depth}")
        self.encoding_spec  # noqa: B018 -- validates the encoding's settings here

    @classmethod
    def from_settings(cls, inr: InrSettings) -> INRSpec:
        """The spec ``model.inr`` describes."""
        return cls(
            kind=inr.kind, hidden=inr.hidden, depth=inr.depth, num_freqs=inr.num_freqs,
            w0=inr.w0, encoding=inr.encoding, grid=inr.grid, max_freq=inr.max_freq,
            num_features=inr.num_features,
        )  # fmt: skip

    @property
    def encoding_spec(self) -> EncodingSpec:
        return EncodingSpec(
            kind=self.encoding if self.kind == "relu_pe" else "nerf",
            num_freqs=self.num_freqs,
            grid=self.grid,
            max_freq=self.max_freq,
            num_features=self.num_features,
        )

    @property
    def encoded_dim(self) -> int:
        if self.kind == "relu_pe":
            return self.encoding_spec.dim
        return self.in_dim

    @property
    def layer_sizes(self) -> tuple[tuple[int, int], ...]:
        """(in, out) of every linear layer, input to output."""
        dims = [self.encoded_dim] + [self.hidden] * self.depth + [self.out_dim]
        return tuple(zip(dims[:-1], dims[1:], strict=True))


def inr_param_spec(spec: INRSpec) -> tuple[dict[str, jax.ShapeDtypeStruct], ...]:
    """The INR parameter tree as shapes: ``({"w": [out, in], "b": [out]}, ...)``."""
    return tuple(
        {
            "w": jax.ShapeDtypeStruct((fan_out, fan_in), jnp.float32),
            "b": jax.ShapeDtypeStruct((fan_out,), jnp.float32),
        }
        for fan_in, fan_out in spec.layer_sizes
    )


def inr_num_params(spec: INRSpec) -> int:
    return sum(int(np.prod(x.shape)) for x in jax.tree.leaves(inr_param_spec(spec)))


def inr_param_names(spec: INRSpec) -> list[tuple[int, str]]:
    """INR tensors in the official head order: layer 0 w, layer 0 b, layer 1 w, …"""
    return [(i, name) for i in range(len(spec.layer_sizes)) for name in ("w", "b")]


def inr_init(key: jax.Array, spec: INRSpec):
    """Initial parameters of one INR (used for single-INR fitting and the shared base INR).

    relu_pe uses PyTorch's nn.Linear default (uniform ±1/sqrt(fan_in) for weight and bias),
    as the official INR template does; siren uses the SIREN init (first layer ±1/fan_in,
    others ±sqrt(6/fan_in)/w0, biases ±1/sqrt(fan_in)).
    """
    params = []
    for i, (fan_in, fan_out) in enumerate(spec.layer_sizes):
        kw, kb = jax.random.split(jax.random.fold_in(key, i))
        if spec.kind == "siren":
            bound = 1.0 / fan_in if i == 0 else np.sqrt(6.0 / fan_in) / spec.w0
        else:
            bound = 1.0 / np.sqrt(fan_in)
        bias_bound = 1.0 / np.sqrt(fan_in)
        params.append(
            {
                "w": jax.random.uniform(kw, (fan_out, fan_in), jnp.float32, -bound, bound),
                "b": jax.random.uniform(kb, (fan_out,), jnp.float32, -bias_bound, bias_bound),
            }
        )
    return tuple(params)


def inr_apply(params, coord: jnp.ndarray, spec: INRSpec, footprint=None) -> jnp.ndarray:
    """Evaluate the INR at one coordinate.

    Args:
      params: a tree matching ``inr_param_spec(spec)`` (unbatched).
      coord: f32[3], (t, h, w) in [-1, 1].
      spec: the architecture.
      footprint: f32[3] box width of the sample per axis in coordinate units, for integrated
        encodings (``encoding.encode``); None: one pixel/frame of the training grid.

    Returns:
      f32[3], RGB on the model's [-1, 1] scale (not clipped).
    """
    x = encode(coord, spec.encoding_spec, footprint) if spec.kind == "relu_pe" else coord
    # The encoding is computed in float32 (high octaves need it); the layers run in the
    # params' dtype, so bfloat16 INR params give bfloat16 matmuls on accelerators.
    x = x.astype(params[0]["w"].dtype)
    *hidden, last = params
    for layer in hidden:
        # "i,oi->o" (= W @ x) keeps the coordinate axis leading under vmap, so the batched
        # program is [N, in] x [out, in] matmuls with no activation transposes.
        x = jnp.einsum("i,oi->o", x, layer["w"]) + layer["b"]
        x = jnp.sin(spec.w0 * x) if spec.kind == "siren" else jax.nn.relu(x)
    return (jnp.einsum("i,oi->o", x, last["w"]) + last["b"]).astype(jnp.float32)


def render_coords(params, coords: jnp.ndarray, spec: INRSpec, footprint=None) -> jnp.ndarray:
    """One INR at many coordinates: f32[N, 3] -> f32[N, 3] (vmap over coordinates; one
    ``footprint`` f32[3] shared by all, see ``inr_apply``)."""
    apply = functools.partial(inr_apply, spec=spec, footprint=footprint)
    return jax.vmap(apply, in_axes=(None, 0))(params, coords)


def render_batch(params, coords: jnp.ndarray, spec: INRSpec, footprint=None) -> jnp.ndarray:
    """A batch of INRs at shared coordinates: ``vmap`` over videos of ``render_coords``.

    The coordinate axis is not batched over videos, so the positional encoding is
    computed once and shared by every video; each layer lowers to one batched matmul.

    Args:
      params: INR tree with a leading video axis B on every leaf.
      coords: f32[N, 3].

    Returns:
      f32[B, N, 3].
    """
    render = functools.partial(render_coords, spec=spec, footprint=footprint)
    return jax.vmap(render, in_axes=(0, None))(params, coords)


# Rows (videos x coordinates) per chunk of chunked rendering and of the chunked INR gradient
# (``train/step.py``), by backend. On a 2-core AVX-512 CPU, 2,048 rows keep the activations in
# cache and run ~1.5x faster than 16,384 (benchmarks/bench_train.py). On a GPU such chunks
# leave the card launch-bound (hundreds of tiny scan iterations per step); there a chunk is
# sized to fill the chip while its activations stay a few GB (benchmarks/gpu_suite.py).
CHUNK_ROWS = {"cpu": 2048}
ACCELERATOR_CHUNK_ROWS = 1 << 19


def chunk_rows(rows: int | None = None) -> int:
    """Rows per chunk: ``rows`` when given (> 0), else the default of the current backend."""
    if rows:
        return int(rows)
    return CHUNK_ROWS.get(jax.default_backend(), ACCELERATOR_CHUNK_ROWS)


def coords_per_chunk(batch: int, num_coords: int, rows: int | None = None) -> int:
    """Coordinates per chunk for ``batch`` videos: about ``chunk_rows(rows)`` rows, at least 256."""
    return min(num_coords, max(256, chunk_rows(rows) // max(batch, 1)))


def _chunked_coords(coords: jnp.ndarray, chunk: int) -> jnp.ndarray:
    """f32[N, ..., 3] -> f32[C, chunk, ..., 3], the last chunk zero-padded."""
    num_chunks = -(-coords.shape[0] // chunk)
    pad = [(0, num_chunks * chunk - coords.shape[0])] + [(0, 0)] * (coords.ndim - 1)
    return jnp.pad(coords, pad).reshape(num_chunks, chunk, *coords.shape[1:])


def render_chunked(
    params,
    coords: jnp.ndarray,
    spec: INRSpec,
    chunk: int,
    rows: int | None = None,
    remat: bool = False,
    footprint=None,
) -> jnp.ndarray:
    """``render_batch`` in bounded memory: coordinates are processed ``chunk`` at a time.

    Peak activation memory is O(B * chunk * hidden) instead of O(B * N * hidden).
    Works under jit (``lax.map`` over chunks; the last chunk is padded and trimmed).
    ``chunk`` is an upper bound: chunks are capped at about ``chunk_rows(rows) / B``
    coordinates (at least 256), the fastest size on the backend. ``footprint``: as in
    ``inr_apply`` (the output grid's pixel size for renders off the training grid). With ``remat`` the
    activations of each chunk are recomputed in the backward pass (for losses that need the
    whole rendering at once, such as LPIPS), so the gradient's memory stays bounded too.

    Returns:
      f32[B, N, 3].
    """
    n = coords.shape[0]
    batch = jax.tree.leaves(params)[0].shape[0]
    chunk = min(chunk, coords_per_chunk(batch, n, rows))
    if chunk >= n:
        return render_batch(params, coords, spec, footprint)
    render = lambda c: render_batch(params, c, spec, footprint)  # noqa: E731
    out = jax.lax.map(jax.checkpoint(render) if remat else render, _chunked_coords(coords, chunk))
    out = jnp.moveaxis(out, 0, 1)  # [B, C, chunk, 3]
    return out.reshape(batch, -1, out.shape[-1])[:, :n]


def chunked_inr_grad(params, coords, target, spec: INRSpec, per_pixel, chunk: int):
    """A per-pixel loss of a batch of INRs and its gradient, ``chunk`` coordinates at a time.

    Forward and backward run chunk by chunk inside a ``lax.scan`` that sums the gradients, so
    activations never exceed O(B * chunk * hidden) and nothing is recomputed (the loss is a
    mean over pixels, so its gradient is a sum over chunks). The last chunk is zero-padded and
    masked out.

    Args:
      params: INR tree with leading B.
      coords: f32[n, 3], or f32[n, K, 3]: K points inside each pixel whose rendered values
        are averaged before the loss (the pixel is the average over its footprint, so this is
        the forward model of an area pixel; ``train.supersample``).
      target: f32[B, n, 3].
      per_pixel: elementwise loss of the difference ``pred - target`` (``losses.PIXEL_LOSSES``).
      chunk: coordinates per chunk.

    Returns:
      (dist f32[B]: mean of ``per_pixel`` per video, sq_err f32[]: mean squared error,
      grad of dist.mean() w.r.t. params, float32 sums cast back to the params' dtypes).
    """
    b, n = target.shape[:2]
    num_chunks = -(-n // chunk)
    pad = num_chunks * chunk - n
    target = jnp.pad(target, ((0, 0), (0, pad), (0, 0))).reshape(b, num_chunks, chunk, 3)
    target = jnp.moveaxis(target, 1, 0)  # [C, B, chunk, 3]
    mask = (jnp.arange(num_chunks * chunk) < n).reshape(num_chunks, chunk, 1)
    mask = mask.astype(target.dtype)
    scale = 1.0 / (n * target.shape[-1])

    def chunk_loss(p, c, t, m):
        pred = render_batch(p, c.reshape(-1, 3), spec)  # [B, chunk * K, 3]
        pred = pred.reshape(b, c.shape[0], -1, 3).mean(axis=2)  # [B, chunk, 3]
        diff = (pred - t) * m  # [B, chunk, 3]
        dist = per_pixel(diff).sum(axis=(1, 2)) * scale  # [B]: this chunk's part of the mean
        return dist.mean(), (dist, jnp.square(diff).sum())

    def body(carry, xs):
        grad, dist, sq = carry
        (_, (d, s)), g = jax.value_and_grad(chunk_loss, has_aux=True)(params, *xs)
        return (jax.tree.map(jnp.add, grad, g), dist + d, sq + s), None

    # Sums run in float32 even when the INR computes in bfloat16.
    zeros = jax.tree.map(lambda x: jnp.zeros(x.shape, jnp.float32), params)
    init = (zeros, jnp.zeros((b,), jnp.float32), jnp.zeros((), jnp.float32))
    xs = (_chunked_coords(coords, chunk), target, mask)
    (grad, dist, sq), _ = jax.lax.scan(body, init, xs)
    grad = jax.tree.map(lambda g, x: g.astype(x.dtype), grad, params)
    return dist, sq * scale / b, grad
