"""``optim.code_lr_mult``: the codebook gets its own Adam at lr x mult; everything else is the
plain Adam, and mult = 1 is exactly the single Adam (same state tree, same updates)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from inrv_jax.config import ConfigError, base_config, validate
from inrv_jax.settings import OptimSettings
from inrv_jax.state import make_optimizer

PARAMS = {
    "codes": {"embedding": jnp.full((4, 3), 0.5)},
    "hypernet": {"out_0": jnp.ones((3, 5)), "out_0_bias": jnp.zeros((5,))},
}
GRADS = jax.tree.map(lambda p: jnp.linspace(-1.0, 2.0, p.size).reshape(p.shape), PARAMS)


def _first_update(mult, schedule="constant"):
    optim = OptimSettings(lr=1e-3, code_lr_mult=mult, schedule=schedule, warmup_steps=1)
    tx = make_optimizer(optim, 10)
    state = tx.init(PARAMS)
    updates, state = tx.update(GRADS, state, PARAMS)
    updates, _ = tx.update(GRADS, state, PARAMS)  # step 2: past the warm-up's zero lr
    return tx.init(PARAMS), updates


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_codes_move_mult_times_faster_and_the_rest_as_before(schedule):
    _, one = _first_update(1.0, schedule)
    _, ten = _first_update(10.0, schedule)
    np.testing.assert_allclose(ten["codes"]["embedding"], 10 * one["codes"]["embedding"], rtol=1e-6)
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6), ten["hypernet"], one["hypernet"]
    )
    assert np.abs(one["codes"]["embedding"]).min() > 0  # the updates are not trivially zero


def test_mult_one_keeps_the_single_adam_state_tree():
    state_one, _ = _first_update(1.0)
    state_ten, _ = _first_update(10.0)
    assert len(jax.tree.leaves(state_ten)) != len(jax.tree.leaves(state_one))
    plain = make_optimizer(OptimSettings(), 10)
    assert jax.tree.structure(state_one) == jax.tree.structure(plain.init(PARAMS))


def test_non_positive_mult_names_the_key():
    c = base_config()
    c.optim.code_lr_mult = 0.0
    with pytest.raises(ConfigError, match="optim.code_lr_mult"):
        validate(c)
