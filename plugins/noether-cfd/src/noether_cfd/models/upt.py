"""UPT (arXiv 2402.12365): supernode-pooling encoder, latent Transformer, Perceiver decoder at query points."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from noether_cfd import batch as keys
from noether_cfd.models.base import CfdModel, chunks, concat_outputs
from noether_cfd.models.blocks import Block
from noether_cfd.models.containers import Modules
from noether_cfd.models.embeddings import Rotary3d
from noether_cfd.models.schemas import UptConfig
from noether_cfd.models.supernodes import SupernodePooling


class Upt(CfdModel):
    """Encode the geometry into supernode tokens, process them, decode fields at any query points.

    Reads ``geometry_position`` (``geometry_mask`` is not needed: the graph names real points only),
    ``supernode_index``, ``supernode_mask``, ``supernode_neighbors``, ``supernode_neighbor_mask``, and for each
    set with outputs ``<set>_position`` (+ ``<set>_mask``, features) and ``conditions`` when configured.
    Query points attend to the latent tokens only, never to each other: the decoder is permutation-equivariant
    over queries and is evaluated in chunks of independent queries.
    """

    config_class = UptConfig
    config: UptConfig
    required_keys = (keys.GEOMETRY_POSITION, keys.SUPERNODE_INDEX, keys.SUPERNODE_MASK, keys.SUPERNODE_NEIGHBORS,
                     keys.SUPERNODE_NEIGHBOR_MASK)

    def __init__(self, config: UptConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        dim, heads, ratio = config.hidden_dim, config.num_heads, config.mlp_ratio
        conditioned = config.condition_dim > 0
        self.encoder = SupernodePooling(dim, config.position_dim, config.max_wavelength)
        self.approximator = Modules(
            Block(dim, heads, ratio, conditioned=conditioned, context="same") for _ in range(config.approximator_depth)
        )
        self.query_embeddings = self.point_embeddings(sincos=True)
        self.decoder = Modules(
            Block(dim, heads, ratio, conditioned=conditioned, context="other") for _ in range(config.decoder_depth)
        )
        self.rope = Rotary3d(dim // heads, config.position_dim, config.max_wavelength) if config.use_rope else None

    def predict(self, batch: Mapping[str, torch.Tensor], chunk_size: int | None) -> dict[str, torch.Tensor]:
        """Predict every configured field, ``chunk_size`` query points at a time when given."""
        condition = self.condition(batch)
        latent, centers = self.encoder(
            self.require(batch, keys.GEOMETRY_POSITION), self.require(batch, keys.SUPERNODE_INDEX),
            self.require(batch, keys.SUPERNODE_NEIGHBORS), batch.get(keys.SUPERNODE_NEIGHBOR_MASK),
        )
        latent_mask = self.key_padding(self.supernode_mask(batch))
        latent_rope = None if self.rope is None else self.rope.angles(centers)
        for block in self.approximator:
            latent = block(latent, mask=latent_mask, condition=condition, rope=latent_rope)
        contexts = [block.context(latent, rope=latent_rope) for block in self.decoder]
        result: dict[str, torch.Tensor] = {}
        for s in self.point_sets:
            positions = self.positions(batch, s)
            parts = []
            for a, b in chunks(positions.shape[1], chunk_size):
                x = self.embed_points(self.query_embeddings[s.name], batch, s, a, b)
                rope = None if self.rope is None else self.rope.angles(positions[:, a:b])
                for block, context in zip(self.decoder, contexts, strict=True):
                    x = block(x, context, mask=latent_mask, condition=condition, rope=rope)
                parts.append(self.outputs(s, x))  # only the fields of a chunk are kept, not its tokens
            result.update(concat_outputs(parts))
        return result
