"""Writers of small test videos (PyAV / Pillow) into tmp_path; no binary fixtures in git."""

from __future__ import annotations

import os

import av
import numpy as np
from PIL import Image


def moving_frames(t: int, h: int, w: int, seed: int = 0) -> np.ndarray:
    """uint8 [t, h, w, 3]: a smooth colour gradient that shifts each frame (codec friendly)."""
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi, size=3)
    yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    out = []
    for f in range(t):
        chans = [127.5 + 120 * np.sin(0.25 * (xx + 2 * f) + 0.15 * yy + phase[c]) for c in range(3)]
        out.append(np.stack(chans, -1))
    return np.clip(np.rint(np.stack(out)), 0, 255).astype(np.uint8)


def write_video(
    path, frames: np.ndarray, codec: str = "libx264", pix_fmt: str = "yuv420p", options=None
) -> str:
    """Writes uint8 [T, H, W, C] frames (C=3 RGB or 4 RGBA) to `path` with PyAV."""
    path = os.fspath(path)
    src_fmt = "rgba" if frames.shape[-1] == 4 else "rgb24"
    with av.open(path, "w", options=options or {}) as container:
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = pix_fmt
        if codec == "libx264":
            stream.options = {"crf": "18", "preset": "ultrafast"}
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format=src_fmt)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_frame_folder(folder, frames: np.ndarray, ext: str = ".png") -> str:
    """Writes frames ([T, H, W], [T, H, W, 3|4], uint8 or uint16) as numbered images."""
    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(os.path.join(folder, f"{i:04d}{ext}"))
    return folder
