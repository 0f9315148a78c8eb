"""Video metrics: per-frame PSNR / SSIM (``image``), LPIPS (``lpips``), and generation scores on
shared I3D features (``i3d``): FVD (``fvd``), KVD (``kvd``), k-NN precision/recall
(``precision_recall``), each row under a ``Protocol`` (``protocol``; ``generation_scores``).

Submodules load their weights lazily (on ``load_*`` calls), so importing them is cheap.
"""

from inrv_jax.metrics.image import psnr, ssim

__all__ = ["psnr", "ssim"]
