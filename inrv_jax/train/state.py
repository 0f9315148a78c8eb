"""Moved to ``inrv_jax.state`` (below the checkpoint layer); kept for old imports."""

from inrv_jax.state import TrainState, create_sharded_state, make_init_fn, make_optimizer

__all__ = ["TrainState", "create_sharded_state", "make_init_fn", "make_optimizer"]
