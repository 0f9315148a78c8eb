"""Frame features for the conditional regularizer, computed once per run.

The frame encoder is frozen and (with ``data.window="start"``) every video's clip is fixed,
so features are a function of the data only: computing them once per video instead of in
every step removes the encoder from the step entirely.
"""

from __future__ import annotations

import numpy as np

from inrv_jax.errors import ConfigError
from inrv_jax.pixels import to_unit_range
from inrv_jax.settings import Settings


def video_features(settings: Settings, source) -> np.ndarray | None:
    """f32[N, T, F] features for every training video, or None when not conditioning.

    ``conditioning.encoder="precomputed"`` loads ``data.features_path`` (a .npy of
    [N, T, F], row i for manifest video i); otherwise the named frozen frame encoder runs
    over every frame.
    """
    cond = settings.model.conditioning
    if cond.kind != "encoder":
        return None
    n, t = len(source), settings.data.frames
    if cond.encoder == "precomputed":
        path = settings.data.features_path
        try:
            feats = np.load(path)
        except (OSError, ValueError) as e:
            raise ConfigError(
                f"data.features_path {path!r} could not be read as a .npy of frame features "
                f"[N, T, F]: {e}"
            ) from None
        if feats.ndim != 3 or feats.shape[0] != n or feats.shape[1] != t:
            raise ConfigError(
                f"data.features_path {path!r} has shape {feats.shape}; expected "
                f"[{n} videos, {t} frames, F] to match data.spec"
            )
        if not np.isfinite(feats).all():
            raise ConfigError(f"data.features_path {path!r} contains NaN or Inf values")
        return feats.astype(np.float32)
    if settings.data.window != "start":
        raise ConfigError(
            "config key data.window must be 'start' with a frozen frame encoder (features are "
            "computed once per video); use conditioning.encoder='precomputed' for random windows"
        )
    import jax
    import jax.numpy as jnp

    from inrv_jax.frame_encoders import make_frame_encoder

    enc = make_frame_encoder(cond.encoder)
    apply = jax.jit(enc.apply)
    out = np.zeros((n, t, enc.dim), np.float32)
    for i in range(n):
        frames = jnp.asarray(to_unit_range(source.load(i)))
        out[i] = np.asarray(apply(enc.params, frames))
    return out
