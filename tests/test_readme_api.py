"""README's Python API example runs as written (in a fresh process, on one CPU device as a
README reader has it) and does what its comments say."""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Appended to the README block: what the assertions below read.
EPILOGUE = """
coords = np.zeros((5, 3), np.float32)
np.savez(
    "api_out.npz", step=m.step, video_shape=m.video_shape, videos_shape=videos.shape,
    learned=m.latents, latents=res.latents, losses=res.losses, filled=np.asarray(filled),
    rgb=np.asarray(rgb), batched=np.asarray(m.model.render(m.params, res.latents[:1], coords)[0]),
)
"""


def test_readme_api_example_trains_inverts_and_renders(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    (block,) = blocks  # README shows exactly one Python example
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    (tmp_path / "example.py").write_text(block + EPILOGUE)
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}  # one device, as a user has
    done = subprocess.run(
        [sys.executable, "example.py"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]

    out = np.load(tmp_path / "api_out.npz")
    assert (tmp_path / "runs/api/checkpoints").is_dir() and int(out["step"]) == 200
    assert tuple(out["videos_shape"]) == (8, *out["video_shape"], 3)
    # Inversion: one latent per clip, and every clip's observed-pixel loss fell.
    assert out["latents"].shape == (8, out["learned"].shape[1])
    assert np.all(out["losses"][-1] < out["losses"][0])
    # Rendering at any size: 8 clips at 8×64×64, finite.
    assert out["filled"].shape == (8, 8, 64, 64, 3) and np.isfinite(out["filled"]).all()
    # Clip 0's INR as a pure function under vmap gives what the batched renderer gives.
    assert out["rgb"].shape == (5, 3)
    np.testing.assert_allclose(out["rgb"], out["batched"], rtol=1e-4, atol=1e-5)
