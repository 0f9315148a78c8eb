"""Hypernetworks: latent z -> INR parameter tree (exactly ``inr_param_spec``'s structure).

Five families, chosen by ``model.hypernet.kind``:

* ``per_tensor`` (official INR-V): one ReLU MLP head per INR tensor,
  z -> hidden -> … -> hidden -> numel(tensor). All heads read the same z and their hidden
  layers have equal shapes, so the hidden layers of the K heads are stored stacked
  (``hidden_l/kernel: [K, in, hidden]``) and run as one batched matmul instead of K small
  ones; the output layers differ in width and stay separate (``out_k``). The maths and the
  parameter count are those of the official per-head modules (57,438,467 at latent 128).
* ``shift_modulation`` (functa style): a shared, learned base INR plus per-video shifts of
  the hidden biases, produced from z by a linear map. Same INR apply, smaller output.
* ``low_rank``: shared base weights plus a latent-dependent rank-r update per layer,
  ``W(z) = W0 + U(z) V(z)^T`` (``rank``), and latent-dependent biases ``b0 + B z``.
* ``chunked`` (Ha et al.): one shared MLP head reads [z, e_c] (a learned embedding of chunk c)
  and emits ``chunk`` values of the INR's flat parameter vector; the chunks, concatenated and
  cut, are the INR tree. Parameters no longer scale with the INR size times the head width.
* ``film``: shared base INR with per-layer scale and shift of the hidden pre-activations,
  ``h = (1 + s_l(z)) * (W0 h + b0) + t_l(z)`` folded into W and b, from a ``linear`` map or a
  small MLP (``mapping``); the last map layer starts at zero, so every video starts at the base.

All return a tree with a leading batch axis on every leaf: ``({"w": [B, out, in],
"b": [B, out]}, ...)``.
"""

from __future__ import annotations

from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from inrv_jax.inr import INRSpec, inr_init, inr_param_names, inr_param_spec
from inrv_jax.settings import HypernetSettings


def _kaiming_normal_fan_in(scale: float = 1.0) -> Callable:
    """He-normal over the second-to-last axis (fan in) — PyTorch kaiming_normal_(relu, fan_in)."""

    def init(key, shape, dtype=jnp.float32):
        fan_in = shape[-2]
        return scale * np.sqrt(2.0 / fan_in) * jax.random.normal(key, shape, dtype)

    return init


def _uniform(bound: float) -> Callable:
    def init(key, shape, dtype=jnp.float32):
        return jax.random.uniform(key, shape, dtype, -bound, bound)

    return init


class PerTensorHyperNet(nn.Module):
    """Official INR-V hypernetwork: one MLP head per INR tensor.

    Init follows the official code (SIREN's hypernetwork with ReLU heads): hidden layers
    He-normal (fan in) with PyTorch-default biases; the last layer He-normal divided by
    ``1 / out_scale`` (10), biases uniform ±1/fan_in(INR layer) for weight tensors and
    ±1/hidden for bias tensors.

    Attributes:
      inr: the INR the heads fill.
      hidden: width of the heads' hidden layers (256).
      depth: number of hidden layers per head (4), so each head has depth + 1 linear layers.
      out_scale: factor on the last layer's init (0.1).
      dtype: compute dtype (params stay float32).
    """

    inr: INRSpec
    hidden: int = 256
    depth: int = 4
    out_scale: float = 0.1
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, z: jnp.ndarray):
        """z: f32[B, D] -> INR tree with leading B."""
        names = inr_param_names(self.inr)
        spec = inr_param_spec(self.inr)
        k = len(names)
        h = z.astype(self.dtype)[:, None, :]  # [B, 1, D]: every head reads the same z
        fan_in = z.shape[-1]
        for layer in range(self.depth):
            kernel = self.param(
                f"hidden_{layer}", _kaiming_normal_fan_in(), (k, fan_in, self.hidden)
            )
            bias = self.param(
                f"hidden_{layer}_bias", _uniform(1.0 / np.sqrt(fan_in)), (k, self.hidden)
            )
            if layer == 0:
                h = jnp.einsum("bd,kdh->bkh", h[:, 0], kernel.astype(self.dtype))
            else:
                h = jnp.einsum("bkd,kdh->bkh", h, kernel.astype(self.dtype))
            h = nn.relu(h + bias.astype(self.dtype))
            fan_in = self.hidden
        out = [dict(layer) for layer in spec]
        for j, (i, name) in enumerate(names):
            shape = spec[i][name].shape
            numel = int(np.prod(shape))
            main_fan_in = self.inr.layer_sizes[i][0]
            bias_bound = 1.0 / main_fan_in if name == "w" else 1.0 / fan_in
            kernel = self.param(f"out_{j}", _kaiming_normal_fan_in(self.out_scale), (fan_in, numel))
            bias = self.param(f"out_{j}_bias", _uniform(bias_bound), (numel,))
            hj = h[:, j] if h.shape[1] == k else h[:, 0]
            flat = hj @ kernel.astype(self.dtype) + bias.astype(self.dtype)  # [B, numel]
            # Stays in the compute dtype: with bfloat16 the INR then runs in bfloat16 too.
            out[i][name] = flat.reshape(z.shape[0], *shape)
        return tuple(out)


class ShiftModulationHyperNet(nn.Module):
    """Functa-style family: shared base INR + latent-dependent shifts of the hidden biases.

    ``b_l(z) = base_b_l + M_l z`` for every hidden layer l; weights are the shared base
    weights. The map M is initialised to zero, so every video starts at the base INR.
    """

    inr: INRSpec
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, z: jnp.ndarray):
        """z: f32[B, D] -> INR tree with leading B."""
        base = self.param("base", lambda key: inr_init(key, self.inr))
        num_hidden = len(self.inr.layer_sizes) - 1
        widths = [self.inr.layer_sizes[i][1] for i in range(num_hidden)]
        shifts = nn.Dense(sum(widths), kernel_init=nn.initializers.zeros, name="to_shifts")(z)
        bsz = z.shape[0]
        out, offset = [], 0
        for i, layer in enumerate(base):
            b = jnp.broadcast_to(layer["b"], (bsz, *layer["b"].shape))
            if i < num_hidden:
                b = b + shifts[:, offset : offset + widths[i]]
                offset += widths[i]
            w = jnp.broadcast_to(layer["w"], (bsz, *layer["w"].shape))
            out.append({"w": w.astype(self.dtype), "b": b.astype(self.dtype)})
        return tuple(out)


def _broadcast_base(base, bsz: int):
    return [{k: jnp.broadcast_to(v, (bsz, *v.shape)) for k, v in layer.items()} for layer in base]


class LowRankHyperNet(nn.Module):
    """Shared base INR + latent-dependent low-rank weight updates and bias offsets.

    For every INR layer l with W0: [out, in]: ``W_l(z) = W0 + U_l(z) V_l(z)^T`` with
    U: [B, out, r], V: [B, in, r] read off z by one linear map per layer, and
    ``b_l(z) = b0 + B_l z``. U's map starts at zero (every video starts at the base INR, so
    early training is the stable single-INR fit) and V's is He-scaled, so U gets gradient
    from the first step.

    Attributes:
      inr: the INR it fills.
      rank: r of every layer's update.
      dtype: compute dtype.
    """

    inr: INRSpec
    rank: int = 8
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, z: jnp.ndarray):
        """z: f32[B, D] -> INR tree with leading B."""
        base = self.param("base", lambda key: inr_init(key, self.inr))
        bsz, r = z.shape[0], self.rank
        zc = z.astype(self.dtype)
        out = []
        for i, ((fan_in, fan_out), layer) in enumerate(
            zip(self.inr.layer_sizes, base, strict=True)
        ):
            u = nn.Dense(
                fan_out * r, kernel_init=nn.initializers.zeros, dtype=self.dtype, name=f"u_{i}"
            )(zc).reshape(bsz, fan_out, r)
            # V's scale keeps U V^T x of order |x| / sqrt(in) once U has moved.
            v = nn.Dense(
                fan_in * r,
                kernel_init=nn.initializers.normal(1.0 / np.sqrt(fan_in * z.shape[-1])),
                dtype=self.dtype,
                name=f"v_{i}",
            )(zc).reshape(bsz, fan_in, r)
            db = nn.Dense(
                fan_out, kernel_init=nn.initializers.zeros, dtype=self.dtype, name=f"b_{i}"
            )(zc)
            w = layer["w"].astype(self.dtype) + jnp.einsum("bor,bir->boi", u, v)
            out.append({"w": w, "b": layer["b"].astype(self.dtype) + db})
        return tuple(out)


class ChunkedHyperNet(nn.Module):
    """Ha et al.'s hypernetwork: one shared head emits the flat INR vector chunk by chunk.

    ``flat[c*S:(c+1)*S] = head([z, e_c])`` for chunks c = 0..C-1 (C = ceil(P / S), S =
    ``chunk``), e_c a learned ``embed``-dim embedding; the head is ``depth`` ReLU layers of
    ``hidden`` and a linear output of S. The flat vector (padded to C*S) is cut in
    ``inr_param_names`` order and reshaped; each tensor is then scaled by its INR-init bound
    (a fixed, non-learned factor) so a unit-scale head output is a well-scaled INR.

    Attributes:
      inr: the INR it fills.
      chunk: S, values per chunk.
      embed: chunk-embedding width.
      hidden, depth: the shared head.
      dtype: compute dtype.
    """

    inr: INRSpec
    chunk: int = 2048
    embed: int = 32
    hidden: int = 128
    depth: int = 2
    dtype: jnp.dtype = jnp.float32

    def num_chunks(self) -> int:
        return -(
            -sum(int(np.prod(s.shape)) for s in jax.tree.leaves(inr_param_spec(self.inr)))
            // self.chunk
        )

    @nn.compact
    def __call__(self, z: jnp.ndarray):
        """z: f32[B, D] -> INR tree with leading B."""
        n = self.num_chunks()
        emb = self.param("chunk_embed", nn.initializers.normal(1.0), (n, self.embed))
        bsz = z.shape[0]
        zc = z.astype(self.dtype)
        # [z W_z + e_c W_e] is the first layer on the concatenation [z, e_c], computed without
        # materialising B*C concatenated rows.
        h = nn.Dense(self.hidden, dtype=self.dtype, name="in_z")(zc)[:, None, :]
        h = h + nn.Dense(self.hidden, use_bias=False, dtype=self.dtype, name="in_e")(emb)[None]
        h = nn.relu(h)  # [B, C, hidden]
        for layer in range(1, self.depth):
            h = nn.relu(nn.Dense(self.hidden, dtype=self.dtype, name=f"hidden_{layer}")(h))
        # Zero output bias and fan-in init: the head's output starts at unit scale.
        flat = nn.Dense(self.chunk, dtype=self.dtype, name="out")(h).reshape(bsz, n * self.chunk)
        out, offset = [dict(layer) for layer in inr_param_spec(self.inr)], 0
        for i, name in inr_param_names(self.inr):
            shape = out[i][name].shape
            numel = int(np.prod(shape))
            scale = _init_bound(self.inr, i, name) / np.sqrt(3.0)  # uniform ±a has std a/sqrt3
            out[i][name] = (flat[:, offset : offset + numel] * scale).reshape(bsz, *shape)
            offset += numel
        return tuple(out)


def _init_bound(inr: INRSpec, i: int, name: str) -> float:
    """The bound of ``inr_init``'s uniform init for tensor ``name`` of layer i."""
    fan_in = inr.layer_sizes[i][0]
    if name == "w" and inr.kind == "siren":
        return 1.0 / fan_in if i == 0 else float(np.sqrt(6.0 / fan_in) / inr.w0)
    return float(1.0 / np.sqrt(fan_in))


class FiLMHyperNet(nn.Module):
    """Shared base INR + per-layer scale and shift of the hidden pre-activations.

    ``a_l = (1 + s_l(z)) * (W0_l x + b0_l) + t_l(z)`` for every hidden layer l, which is the
    plain INR apply with ``W_l = (1 + s_l) W0_l`` and ``b_l = (1 + s_l) b0_l + t_l``; the output
    layer is the base's. [s, t] = map(z), ``mapping`` "linear" (one Dense) or "mlp" (``depth``
    ReLU layers of ``hidden``, then Dense). The map's last layer is zero-initialised, so every
    video starts at the base INR.
    """

    inr: INRSpec
    mapping: str = "linear"
    hidden: int = 128
    depth: int = 1
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, z: jnp.ndarray):
        """z: f32[B, D] -> INR tree with leading B."""
        if self.mapping not in ("linear", "mlp"):
            raise ValueError(
                f"model.hypernet.mapping={self.mapping!r} is unknown; choose 'linear' or 'mlp'"
            )
        base = self.param("base", lambda key: inr_init(key, self.inr))
        num_hidden = len(self.inr.layer_sizes) - 1
        widths = [self.inr.layer_sizes[i][1] for i in range(num_hidden)]
        h = z.astype(self.dtype)
        if self.mapping == "mlp":
            for layer in range(self.depth):
                h = nn.relu(nn.Dense(self.hidden, dtype=self.dtype, name=f"map_{layer}")(h))
        mod = nn.Dense(
            2 * sum(widths), kernel_init=nn.initializers.zeros, dtype=self.dtype, name="to_film"
        )(h)
        out = _broadcast_base(base, z.shape[0])
        offset = 0
        for i in range(num_hidden):
            s = mod[:, offset : offset + widths[i]]
            t = mod[:, offset + widths[i] : offset + 2 * widths[i]]
            offset += 2 * widths[i]
            out[i] = {"w": out[i]["w"] * (1.0 + s)[:, :, None], "b": out[i]["b"] * (1.0 + s) + t}
        return tuple({k: v.astype(self.dtype) for k, v in layer.items()} for layer in out)


# ``model.hypernet.kind`` -> factory (INR spec, HypernetSettings, dtype) -> module; its names are
# ``inrv_jax.settings.HYPERNET_KINDS``.
HYPERNETS: dict[str, Callable[..., nn.Module]] = {
    "per_tensor": lambda inr, hs, dtype: PerTensorHyperNet(
        inr=inr, hidden=hs.hidden, depth=hs.depth, out_scale=hs.out_scale, dtype=dtype
    ),
    "shift_modulation": lambda inr, hs, dtype: ShiftModulationHyperNet(inr=inr, dtype=dtype),
    "low_rank": lambda inr, hs, dtype: LowRankHyperNet(inr=inr, rank=hs.rank, dtype=dtype),
    "chunked": lambda inr, hs, dtype: ChunkedHyperNet(
        inr=inr,
        chunk=hs.chunk,
        embed=hs.chunk_embed,
        hidden=hs.hidden,
        depth=hs.chunk_depth,
        dtype=dtype,
    ),  # fmt: skip
    "film": lambda inr, hs, dtype: FiLMHyperNet(
        inr=inr, mapping=hs.mapping, hidden=hs.hidden, depth=hs.mapping_depth, dtype=dtype
    ),
}


def make_hypernet(inr: INRSpec, hs: HypernetSettings, dtype=jnp.float32) -> nn.Module:
    """Build the hypernetwork named by ``hs.kind`` (see ``HYPERNETS``)."""
    if hs.kind not in HYPERNETS:
        raise ValueError(
            f"model.hypernet.kind={hs.kind!r} is unknown; choose one of {sorted(HYPERNETS)}"
        )
    return HYPERNETS[hs.kind](inr, hs, dtype)
