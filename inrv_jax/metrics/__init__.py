"""Video metrics: per-frame PSNR / SSIM (``image``), LPIPS (``lpips``), FVD (``fvd``).

Submodules load their weights lazily (on ``load_*`` calls), so importing them is cheap.
"""

from inrv_jax.metrics.image import psnr, ssim

__all__ = ["psnr", "ssim"]
