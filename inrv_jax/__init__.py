"""INR-V in JAX/Flax: videos as points in the latent space of a hypernetwork that writes INRs."""

__version__ = "0.1.0"
