"""Writing videos and images: mp4 (PyAV/libx264), gif and png (Pillow), raw npy."""

from __future__ import annotations

import pathlib

import numpy as np

from inrv_jax.errors import InputError
from inrv_jax.pixels import to_uint8

VIDEO_SUFFIXES = (".mp4", ".gif", ".png", ".npy")


def write_mp4(path, frames: np.ndarray, fps: int = 8) -> None:
    """frames: u8[T, H, W, 3]. Odd sizes are padded to even (yuv420p needs even dims)."""
    import av

    t, h, w, _ = frames.shape
    ph, pw = h + h % 2, w + w % 2
    if (ph, pw) != (h, w):
        frames = np.pad(frames, ((0, 0), (0, ph - h), (0, pw - w), (0, 0)), mode="edge")
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = pw, ph, "yuv420p"
        stream.options = {"crf": "17"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_gif(path, frames: np.ndarray, fps: int = 8) -> None:
    """frames: u8[T, H, W, 3]; loops forever."""
    from PIL import Image

    images = [Image.fromarray(f) for f in frames]
    images[0].save(
        str(path), save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0
    )


def write_png(path, image: np.ndarray) -> None:
    """image: u8[H, W, 3]."""
    from PIL import Image

    Image.fromarray(image).save(str(path))


def tile_grid(videos: np.ndarray, pad: int = 2) -> np.ndarray:
    """Lay out u8[R, C, T, H, W, 3] as one video u8[T, R*(H+pad)-pad, C*(W+pad)-pad, 3]."""
    r, c, t, h, w, ch = videos.shape
    out = np.full((t, r * (h + pad) - pad, c * (w + pad) - pad, ch), 255, np.uint8)
    for i in range(r):
        for j in range(c):
            out[:, i * (h + pad) : i * (h + pad) + h, j * (w + pad) : j * (w + pad) + w] = videos[
                i, j
            ]
    return out


def write_animation(base, frames: np.ndarray, fps: int = 8) -> list[pathlib.Path]:
    """Write a picture video u8[T, H, W, 3] as BASE.mp4, BASE.gif and BASE.png (its first frame).

    ``base`` is a path without suffix (a dot in it is kept). Returns the three paths.
    """
    base = pathlib.Path(base)
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = [base.parent / f"{base.name}{s}" for s in (".mp4", ".gif", ".png")]
    write_mp4(paths[0], frames, fps)
    write_gif(paths[1], frames, fps)
    write_png(paths[2], frames[0])
    return paths


def save_video(path, video: np.ndarray, fps: int = 8) -> pathlib.Path:
    """Save a model-scale video f32[T, H, W, 3] by suffix.

    .npy keeps the raw float32 model output (unclipped); .mp4/.gif/.png are clipped and
    quantised (.png stores the frames side by side as one strip).
    """
    path = pathlib.Path(path)
    suffix = path.suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise InputError(f"output {path} must end in one of {', '.join(VIDEO_SUFFIXES)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".npy":
        np.save(path, np.asarray(video, np.float32))
        return path
    frames = to_uint8(video)
    if suffix == ".mp4":
        write_mp4(path, frames, fps)
    elif suffix == ".gif":
        write_gif(path, frames, fps)
    else:
        write_png(path, tile_grid(frames[None, :, None])[0])
    return path
