"""Hypernetworks: latent z -> INR parameter tree (exactly ``inr_param_spec``'s structure).

Two families, chosen by ``model.hypernet.kind``:

* ``per_tensor`` (official INR-V): one ReLU MLP head per INR tensor,
  z -> hidden -> … -> hidden -> numel(tensor). All heads read the same z and their hidden
  layers have equal shapes, so the hidden layers of the K heads are stored stacked
  (``hidden_l/kernel: [K, in, hidden]``) and run as one batched matmul instead of K small
  ones; the output layers differ in width and stay separate (``out_k``). The maths and the
  parameter count are those of the official per-head modules (57,438,467 at latent 128).
* ``shift_modulation`` (functa style): a shared, learned base INR plus per-video shifts of
  the hidden biases, produced from z by a linear map. Same INR apply, smaller output.

Both return a tree with a leading batch axis on every leaf: ``({"w": [B, out, in],
"b": [B, out]}, ...)``.
"""

from __future__ import annotations

from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from inrv_jax.inr import INRSpec, inr_init, inr_param_names, inr_param_spec


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


HYPERNETS: dict[str, Callable[..., nn.Module]] = {
    "per_tensor": lambda inr, cfg, dtype: PerTensorHyperNet(
        inr=inr,
        hidden=int(cfg.hidden),
        depth=int(cfg.depth),
        out_scale=float(cfg.out_scale),
        dtype=dtype,
    ),
    "shift_modulation": lambda inr, cfg, dtype: ShiftModulationHyperNet(inr=inr, dtype=dtype),
}


def make_hypernet(inr: INRSpec, cfg, dtype=jnp.float32) -> nn.Module:
    """Build the hypernetwork named by ``cfg.kind`` (see ``HYPERNETS``)."""
    if cfg.kind not in HYPERNETS:
        raise ValueError(
            f"model.hypernet.kind={cfg.kind!r} is unknown; choose one of {sorted(HYPERNETS)}"
        )
    return HYPERNETS[cfg.kind](inr, cfg, dtype)
