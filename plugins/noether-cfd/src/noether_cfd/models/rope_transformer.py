"""A Transformer over all surface and volume points with 3-D rotary position embeddings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from noether_cfd.models.base import CfdModel, chunks
from noether_cfd.models.blocks import Block
from noether_cfd.models.containers import Modules
from noether_cfd.models.embeddings import Rotary3d
from noether_cfd.models.schemas import RopeTransformerConfig


class RopeTransformer(CfdModel):
    """Full self-attention among every real point of every configured point set.

    Reads ``<set>_position`` (and ``<set>_mask``, the configured features, ``conditions``) for each set that
    has outputs; returns the configured fields. Points interact, so chunked evaluation is per layer: the keys
    and values of all points are computed once per layer and the queries attend to them a chunk at a time
    (memory: the tokens and keys of all points plus one chunk's attention).
    """

    config_class = RopeTransformerConfig
    config: RopeTransformerConfig

    def __init__(self, config: RopeTransformerConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        dim = config.hidden_dim
        self.embeddings = self.point_embeddings(sincos=True)
        self.set_embedding = nn.Parameter(torch.zeros(len(self.point_sets), dim))
        self.rope = Rotary3d(dim // config.num_heads, config.position_dim, config.max_wavelength)
        conditioned = config.condition_dim > 0
        self.blocks = Modules(
            Block(dim, config.num_heads, config.mlp_ratio, conditioned=conditioned, context="same")
            for _ in range(config.depth)
        )

    def predict(self, batch: Mapping[str, torch.Tensor], chunk_size: int | None) -> dict[str, torch.Tensor]:
        """Predict every configured field (see the class docstring for chunking)."""
        condition = self.condition(batch)
        tokens = [self.embed_points(self.embeddings[s.name], batch, s) + self.set_embedding[i]
                  for i, s in enumerate(self.point_sets)]
        sizes = [t.shape[1] for t in tokens]
        x = torch.cat(tokens, dim=1)
        mask = self.key_padding(torch.cat([self.mask(batch, s) for s in self.point_sets], dim=1))
        rope = self.rope.angles(torch.cat([self.positions(batch, s) for s in self.point_sets], dim=1))
        for block in self.blocks:
            if chunk_size is None:
                x = block(x, mask=mask, condition=condition, rope=rope)
            else:
                context = block.context(x, condition, rope)
                x = torch.cat([
                    block(x[:, a:b], context, mask=mask, condition=condition, rope=rope.slice(a, b))
                    for a, b in chunks(x.shape[1], chunk_size)
                ], dim=1)
        result: dict[str, torch.Tensor] = {}
        for s, part in zip(self.point_sets, x.split(sizes, dim=1), strict=True):
            result.update(self.outputs(s, part))
        return result
