"""Learned priors over the latent space: fit on a workdir's latents, store next to the model,
sample novel latents (``inrv fit-prior``, ``inrv generate --mode prior:KIND``).

Kinds (``KINDS``): ``gaussian`` (full covariance, the official protocol's fit), ``gmm``
(scikit-learn Gaussian mixture, stored as arrays), ``flow`` (a rectified-flow velocity MLP).
Every kind works on standardized latents (per-dimension mean/std stored with the prior).
"""

from inrv_jax.prior.fitting import KINDS, Prior, fit_prior, sample_prior

__all__ = ["KINDS", "Prior", "fit_prior", "sample_prior"]
