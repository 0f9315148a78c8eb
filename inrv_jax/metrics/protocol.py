"""The protocol of a generation score: every setting that moves FVD, KVD or precision/recall.

FVD in particular shifts with which real clips, their frames and stride, the resolution and the
sample counts (StyleGAN-V's issues report irreproducible numbers for exactly these reasons), so
every number this project reports carries a ``Protocol`` record next to it. ``to_dict`` gives
JSON-ready plain values; ``from_dict`` reads them back to an equal record (tested).
"""

from __future__ import annotations

import dataclasses

from inrv_jax.errors import InputError
from inrv_jax.metrics.i3d import MIN_RESOLUTION, NETWORK, NUM_FRAMES, RESOLUTION
from inrv_jax.metrics.precision_recall import DEFAULT_K

TIME_RESAMPLING = ("none", "linear")
KVD_KERNEL = "poly3: (x.y/d + 1)^3, unbiased MMD^2, raw (not x1000)"


@dataclasses.dataclass(frozen=True)
class Protocol:
    """How one row of generation scores was computed.

    Attributes:
      fake: what was scored against the real clips, e.g. ``"random-interpolated"``,
        ``"training"`` (reference), ``"mean-video"``.
      fake_source: where those clips came from (checkpoint step, data spec).
      fake_indices: training-clip indices used (``training``, ``mean-video``); () if generated.
      num_fake: N generated (scored) clips.
      real_source: data spec of the real (held-out) clips.
      real_paths: which real clips, in order (paths or source ids).
      num_real: N real clips.
      clip_shape: (T, H, W) of the clips before the feature network.
      frames: frames the feature network reads (I3D: 16).
      stride: frame stride when taking those frames (1 = consecutive).
      time_resampling: ``"none"`` (first ``frames`` frames) or ``"linear"`` (shorter clips
        resampled in time to ``frames``, endpoints kept).
      resolution: frame size the feature network reads (224 = published FVD protocol).
      quantize: clips rounded to 8-bit levels before the network.
      feature_network: name of the feature function.
      seed: seed of the generation and of the KVD subsets.
      k: neighbours of k-NN precision/recall.
      kvd_kernel: the KVD kernel, estimator and scale.
      kvd_subsets: number of KVD subsets (0 = full sets only).
      kvd_subset_size: samples per set in each KVD subset.
    """

    fake: str
    fake_source: str
    num_fake: int
    real_source: str
    real_paths: tuple[str, ...]
    num_real: int
    clip_shape: tuple[int, int, int]
    time_resampling: str
    seed: int
    fake_indices: tuple[int, ...] = ()
    frames: int = NUM_FRAMES
    stride: int = 1
    resolution: int = RESOLUTION
    quantize: bool = True
    feature_network: str = NETWORK
    k: int = DEFAULT_K
    kvd_kernel: str = KVD_KERNEL
    kvd_subsets: int = 0
    kvd_subset_size: int = 0

    def __post_init__(self):
        if self.time_resampling not in TIME_RESAMPLING:
            raise InputError(
                f"protocol time_resampling {self.time_resampling!r}: choose from {TIME_RESAMPLING}"
            )
        if self.resolution < MIN_RESOLUTION:
            raise InputError(f"protocol resolution {self.resolution}: must be >= {MIN_RESOLUTION}")
        if self.k < 1 or self.stride < 1 or self.frames < 1:
            raise InputError(
                f"protocol k, stride, frames must be >= 1, got {self.k}, {self.stride}, "
                f"{self.frames}"
            )

    def to_dict(self) -> dict:
        """Plain JSON values (tuples become lists)."""
        return {
            f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
            for f in dataclasses.fields(self)
        }

    @classmethod
    def from_dict(cls, d: dict) -> Protocol:
        """The record ``to_dict`` wrote (also after a JSON round trip); unknown or missing keys
        raise ``InputError``."""
        names = {f.name for f in dataclasses.fields(cls)}
        required = {
            f.name
            for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        unknown, missing = sorted(set(d) - names), sorted(required - set(d))
        if unknown or missing:
            raise InputError(
                f"protocol dict: unknown keys {unknown}, missing keys {missing}; "
                "pass what Protocol.to_dict wrote"
            )
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})
