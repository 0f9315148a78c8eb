"""Small shared builders for tests (tiny configs and synthetic videos)."""

import importlib
import os

import numpy as np
import pytest

from inrv_jax.config import base_config, set_values, to_settings


def tiny_config(**overrides):
    """A CPU-tiny config: 4 shapes videos of 4×16×16, small INR and hypernetwork."""
    c = base_config()
    c.data.spec = "shapes"
    c.data.num_videos = 4
    c.data.frames = 4
    c.data.size = (16, 16)
    c.model.inr.hidden = 32
    c.model.hypernet.hidden = 32
    c.loss.lpips_weight = 0.0
    c.loss.distance = "l2"
    c.optim.lr = 1e-3
    c.train.batch_size = 4
    c.train.steps = 6
    c.train.log_every = 1
    c.train.eval_every = 0
    c.train.checkpoint_every = 3
    c.train.eval_videos = 2
    c.train.num_samples = 2
    c.train.progress = False
    c.mesh.data, c.mesh.model = 1, 1  # sharded runs: tests/train/test_step.py, test_multi*
    set_values(c, overrides)
    return c


def tiny_settings(**overrides):
    """``tiny_config``'s frozen settings (what the library takes)."""
    return to_settings(tiny_config(**overrides))


def blob_videos(num: int, frames: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth synthetic videos f32[num, T, H, W, 3] in [-1, 1]: drifting Gaussian blobs."""
    rng = np.random.default_rng(seed)
    tt, hh, ww = np.meshgrid(
        np.linspace(0, 1, frames), np.linspace(0, 1, height), np.linspace(0, 1, width),
        indexing="ij",
    )  # fmt: skip
    out = np.zeros((num, frames, height, width, 3), np.float32)
    for i in range(num):
        for ch in range(3):
            cx, cy, vx = rng.uniform(0.2, 0.8, 3)
            d2 = (hh - cy) ** 2 + (ww - cx - 0.3 * (vx - 0.5) * tt) ** 2
            out[i, ..., ch] = np.exp(-d2 / 0.05) * 2 - 1
    return out


def require_torch():
    """``torch``, for the tests of the official-checkpoint import and the PyTorch reference.

    Where it does not import, the calling test module fails to collect with one line naming the
    fix (a newcomer's run must not pass by silently skipping them); ``INRV_ALLOW_MISSING_TORCH=1``
    skips the module instead. Errors other than ``ImportError`` (a broken install) propagate.
    """
    try:
        return importlib.import_module("torch")
    except ImportError as e:
        why = f"torch does not import ({e})"
    if os.environ.get("INRV_ALLOW_MISSING_TORCH", "") not in ("", "0"):
        pytest.skip(f"{why}; skipped as INRV_ALLOW_MISSING_TORCH is set", allow_module_level=True)
    fix = "run `pip install -r requirements-dev.txt` (or set INRV_ALLOW_MISSING_TORCH=1 to skip)"
    pytest.fail(f"{why}: {fix}", pytrace=False)  # outside `except`: one line, no chained traceback
