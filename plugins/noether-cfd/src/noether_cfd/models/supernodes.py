"""Supernode pooling (the UPT encoder): each supernode averages messages from its graph neighbours."""

from __future__ import annotations

import torch
from torch import nn

from noether_cfd.models.embeddings import SinCosFeatures


def gather_points(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``values[b, index[b, ...]]`` for ``(B, N, C)`` values and ``(B, ...)`` integer indices."""
    flat = index.reshape(index.shape[0], -1, 1).long().expand(-1, -1, values.shape[-1])
    return values.gather(1, flat).reshape(*index.shape, values.shape[-1])


class SupernodePooling(nn.Module):
    """Tokens at a subset of the geometry points, each pooled from its radius or k-nearest-neighbour graph.

    The message of a neighbour is ``MLP([encode(neighbour), encode(neighbour - supernode)])``; a supernode's
    token is a linear map of the mean message over its real neighbours. The graph comes with the batch
    (``supernode_index``, ``supernode_neighbors`` and its mask), so the model is independent of how it was
    built (radius or kNN).
    """

    def __init__(self, dim: int, position_dim: int, max_wavelength: float) -> None:
        super().__init__()
        self.encode = SinCosFeatures(dim, position_dim, max_wavelength)
        self.message = nn.Sequential(nn.Linear(2 * dim, dim), nn.GELU(), nn.Linear(dim, dim))
        self.out = nn.Linear(dim, dim)

    def forward(
        self,
        positions: torch.Tensor,
        supernode_index: torch.Tensor,
        neighbors: torch.Tensor,
        neighbor_mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, G, 3)`` geometry points, ``(B, S)`` supernodes, ``(B, S, K)`` neighbours (indices into the
        geometry points) to ``(B, S, dim)`` tokens and the ``(B, S, 3)`` supernode positions."""
        centers = gather_points(positions, supernode_index)
        around = gather_points(positions, neighbors)
        messages = self.message(
            torch.cat([self.encode(around), self.encode(around - centers[:, :, None])], dim=-1)
        )
        if neighbor_mask is None:
            pooled = messages.mean(dim=2)
        else:
            weight = neighbor_mask.to(messages.dtype)[..., None]
            pooled = (messages * weight).sum(dim=2) / weight.sum(dim=2).clamp_min(1.0)
        return self.out(pooled), centers
