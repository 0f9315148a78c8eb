"""What one prior kind provides (``fitting.KINDS`` maps names to these)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class Kind(NamedTuple):
    """``fit(x f32[N, D] standardized, seed, options) -> (arrays pytree, final loss | None)``;
    ``sample(arrays, key, num, options) -> f32[num, D]`` standardized; ``defaults``: options."""

    fit: Callable
    sample: Callable
    defaults: dict
