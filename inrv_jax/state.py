"""Train state (a plain pytree), the optimizer, and sharded creation of both."""

from __future__ import annotations

import functools
from typing import Any

import flax.struct
import jax
import jax.numpy as jnp
import optax

from inrv_jax.model import ModelFns
from inrv_jax.settings import OptimSettings
from inrv_jax.sharding import tree_shardings


@flax.struct.dataclass
class TrainState:
    """Everything a step changes. ``params`` holds codes, conditioner and hypernetwork."""

    step: jax.Array  # i32[]
    params: Any
    opt_state: Any
    notfinite: jax.Array  # i32[]: steps whose loss or gradients were not finite (skipped)

    @classmethod
    def create(cls, params, tx: optax.GradientTransformation, step: int = 0) -> TrainState:
        return cls(
            step=jnp.asarray(step, jnp.int32),
            params=params,
            opt_state=tx.init(params),
            notfinite=jnp.zeros((), jnp.int32),
        )


CODE_PARAMS = ("codes", "code_logvar")  # the per-video codebook (model.INRV)


def _code_labels(params) -> dict:
    """ "codes" for the codebook's leaves, "rest" for every other (top-level names)."""
    return {
        name: jax.tree.map(lambda _, n=name: "codes" if n in CODE_PARAMS else "rest", sub)
        for name, sub in params.items()
    }


def make_optimizer(optim: OptimSettings, total_steps: int) -> optax.GradientTransformation:
    """Adam (official: lr 1e-4, constant) with optional warmup-cosine schedule and clipping.

    ``optim.code_lr_mult`` != 1 gives the codebook its own Adam at ``lr x code_lr_mult`` (same
    schedule; clipping stays global): each code gets a gradient only in the steps its video is
    in the batch, B/N of them. At 1 the optimizer (and its state's tree) is the single Adam.
    Non-finite steps are skipped by the train step itself (``TrainState.notfinite``).
    """
    if optim.schedule == "cosine":
        lr = optax.warmup_cosine_decay_schedule(
            0.0,
            optim.lr,
            max(optim.warmup_steps, 1),
            max(total_steps, optim.warmup_steps + 1, 2),
        )
    else:
        lr = optim.lr
    parts = []
    if optim.grad_clip > 0:
        parts.append(optax.clip_by_global_norm(optim.grad_clip))
    mult = optim.code_lr_mult
    adam = functools.partial(optax.adam, b1=optim.b1, b2=optim.b2)
    if mult == 1.0:
        parts.append(adam(lr))
    else:
        code_lr = (lambda step: mult * lr(step)) if callable(lr) else mult * lr
        parts.append(
            optax.multi_transform({"codes": adam(code_lr), "rest": adam(lr)}, _code_labels)
        )
    return optax.chain(*parts)


def make_init_fn(model: ModelFns, tx: optax.GradientTransformation, features_shape=None):
    def init(key: jax.Array) -> TrainState:
        params = model.init(key, features_shape)
        return TrainState.create(params, tx)

    return init


def create_sharded_state(init_fn, key: jax.Array, mesh, rules) -> tuple[TrainState, Any]:
    """Create the state directly with its shardings (no host copy of the full model).

    Returns:
      (state, state_sh): the state and its NamedSharding tree.
    """
    abstract = jax.eval_shape(init_fn, key)
    state_sh = tree_shardings(abstract, mesh, rules)
    state = jax.jit(init_fn, out_shardings=state_sh)(key)
    return state, state_sh
