"""One way to render videos: ``render(source, shape, settings)`` for latents or INR parameters.

A source is either ``FromLatents(model, params, latents)`` (the hypernetwork makes each latent's
INR) or ``FromINRs(spec, params)`` (INR parameter trees with a leading B: fitted, refined or
generated). Both render through the same jitted function, cached per (INR spec, chunk, rows),
``settings.batch`` videos per call (the last batch padded, so one compiled shape serves any B),
at any (T, H, W): pixels sit at their true positions inside the training frame and integrated
encodings use the output pixel's footprint (``coords.output_grid``).
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from inrv_jax.coords import output_grid
from inrv_jax.inr import INRSpec, render_chunked
from inrv_jax.settings import RenderSettings

__all__ = ["FromINRs", "FromLatents", "RenderSettings", "render"]

DEFAULT = RenderSettings()


class FromLatents(NamedTuple):
    """Videos of latents f32[B, D] through a model (``model.ModelFns``) and its params."""

    model: Any
    params: Any
    latents: Any

    @property
    def spec(self) -> INRSpec:
        return self.model.inr_spec

    def __len__(self) -> int:
        return int(np.shape(self.latents)[0])

    def inrs(self, rows: slice, batch: int):
        """The INR trees (leading ``batch``) of latents ``rows``, zero-padded to ``batch``."""
        z = _padded(np.asarray(self.latents, np.float32)[rows], batch)
        return _hyper_fn(self.model)(self.params, jnp.asarray(z))


class FromINRs(NamedTuple):
    """Videos of INR parameter trees with a leading B (every leaf)."""

    spec: INRSpec
    params: Any

    def __len__(self) -> int:
        return int(jax.tree.leaves(self.params)[0].shape[0])

    def inrs(self, rows: slice, batch: int):
        return jax.tree.map(lambda a: _padded(a[rows], batch), self.params)


def render(
    source: FromLatents | FromINRs,
    shape: tuple[int, int, int],
    settings: RenderSettings = DEFAULT,
    times: np.ndarray | None = None,
) -> np.ndarray:
    """Render every video of ``source`` on a (T, H, W) grid.

    Args:
      source: ``FromLatents`` or ``FromINRs``.
      shape: (T, H, W) of the output; any size (super-resolution, in-between frames).
      settings: coordinates per chunk, rows per chunk and videos per call (memory bounds).
      times: explicit frame times f32[T] in [-1, 1] (default: evenly spaced, as in training).

    Returns:
      f32[B, T, H, W, 3] on the model's [-1, 1] scale, not clipped.
    """
    t, h, w = (int(x) for x in shape)
    coords, footprint = output_grid((t, h, w), source.spec.grid, times)
    coords, footprint = jnp.asarray(coords), jnp.asarray(footprint)
    fn = _render_fn(source.spec, settings.chunk, settings.rows)
    total, outs = len(source), []
    batch = min(settings.batch, total)
    for start in range(0, total, batch):
        rows = slice(start, min(start + batch, total))
        out = fn(source.inrs(rows, batch), coords, footprint)
        # Wait here so that an allocation that failed (out of memory) raises JaxRuntimeError;
        # read back later by np.asarray, such an array aborts the process (jax 0.10 CHECK failure).
        out.block_until_ready()
        outs.append(np.asarray(out)[: rows.stop - rows.start])
    return np.concatenate(outs).reshape(total, t, h, w, 3)


def _padded(x, batch: int):
    """``x`` with its leading axis zero-padded to ``batch`` rows."""
    missing = batch - x.shape[0]
    if missing <= 0:
        return x
    pad = [(0, missing)] + [(0, 0)] * (x.ndim - 1)
    return jnp.pad(x, pad) if isinstance(x, jax.Array) else np.pad(x, pad)


@functools.lru_cache(maxsize=32)
def _render_fn(spec: INRSpec, chunk: int, rows: int | None):
    return jax.jit(
        lambda inr, coords, footprint: render_chunked(
            inr, coords, spec, chunk, rows, footprint=footprint
        )
    )


@functools.lru_cache(maxsize=16)
def _hyper_fn(model):
    return jax.jit(model.hyper)
