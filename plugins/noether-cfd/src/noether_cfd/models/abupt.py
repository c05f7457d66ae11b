"""AB-UPT (arXiv 2502.09692): anchored, branched universal physics transformer.

A geometry branch pools the surface into supernode tokens and processes them. The surface and volume
branches embed their points; every point (anchor or query) attends only to *anchor* tokens: the geometry
tokens (``geometry`` blocks), the anchors of its own branch (``self``) or of the other branch (``cross``),
with weights shared by both branches, then to its own branch's anchors in a decoder of its own. The anchors
thus evolve among themselves, and a query point's prediction depends on the anchors and itself only: queries
are independent, so any number of them is predicted in chunks, with per-layer anchor keys cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import torch
from torch import nn

from noether_cfd import batch as keys
from noether_cfd.models.base import CfdModel, PointSet, chunks, concat_outputs
from noether_cfd.models.blocks import Block, KeysValues
from noether_cfd.models.containers import Modules, ModulesByName
from noether_cfd.models.embeddings import Rotary3d, RotaryAngles
from noether_cfd.models.schemas import AbUptConfig
from noether_cfd.models.supernodes import SupernodePooling

#: The keys and key mask each branch attends to in one layer.
_LayerContext = dict[str, tuple[KeysValues, torch.Tensor | None]]


@attrs.frozen
class _Branch:
    """A branch's point set, positions, and anchors (the leading ``anchors`` points; ``anchor_mask`` marks
    the real ones, ``None`` when all are)."""

    point_set: PointSet
    positions: torch.Tensor
    anchors: int
    anchor_mask: torch.Tensor | None


@attrs.frozen
class _Geometry:
    """The processed geometry tokens, their mask and angles."""

    tokens: torch.Tensor
    mask: torch.Tensor | None
    rope: RotaryAngles


class AbUpt(CfdModel):
    """AB-UPT: geometry branch + surface/volume anchor branches; queries attend to anchors only.

    Reads ``geometry_position``, ``supernode_index``, ``supernode_mask``, ``supernode_neighbors``,
    ``supernode_neighbor_mask``; for each set with outputs ``<set>_position`` (+ ``<set>_mask``, features) and
    ``<set>_anchor_count`` (the leading points of each sample that are anchors; without it every point is an
    anchor); ``conditions`` when configured. Returns the configured fields at every surface and volume point
    (anchors and queries). Rotary position embeddings are used in every attention.
    """

    config_class = AbUptConfig
    config: AbUptConfig
    required_keys = (keys.GEOMETRY_POSITION, keys.SUPERNODE_INDEX, keys.SUPERNODE_MASK, keys.SUPERNODE_NEIGHBORS,
                     keys.SUPERNODE_NEIGHBOR_MASK)

    def __init__(self, config: AbUptConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        dim, heads, ratio = config.hidden_dim, config.num_heads, config.mlp_ratio
        conditioned = config.condition_dim > 0
        self.encoder = SupernodePooling(dim, config.position_dim, config.max_wavelength)
        self.geometry_blocks = Modules(
            Block(dim, heads, ratio, conditioned=conditioned, context="same") for _ in range(config.geometry_depth)
        )
        self.embeddings = self.point_embeddings(sincos=True)
        self.branch_embedding = nn.Parameter(torch.zeros(len(self.point_sets), dim))
        self.physics_kinds = list(config.physics_blocks)
        self.physics = Modules(
            Block(dim, heads, ratio, conditioned=conditioned, context="other" if kind == "geometry" else "same")
            for kind in self.physics_kinds
        )
        self.decoders = ModulesByName({
            s.name: Modules(Block(dim, heads, ratio, conditioned=conditioned, context="same")
                                  for _ in range(config.decoder_depth))
            for s in self.point_sets
        })
        self.rope = Rotary3d(dim // heads, config.position_dim, config.max_wavelength)

    def predict(self, batch: Mapping[str, torch.Tensor], chunk_size: int | None) -> dict[str, torch.Tensor]:
        """Predict every configured field, ``chunk_size`` query points at a time when given.

        Chunked, only the anchors' tokens and each layer's anchor keys are held for the whole point set; a
        chunk's tokens live only while the chunk is decoded.
        """
        condition = self.condition(batch)
        geometry = self._geometry(batch, condition)
        branches = {s.name: self._branch(batch, s) for s in self.point_sets}
        result: dict[str, torch.Tensor] = {}
        if chunk_size is None:
            tokens = {n: self._tokens(batch, b) for n, b in branches.items()}
            ropes = {n: self.rope.angles(b.positions) for n, b in branches.items()}
            final, _ = self._layers(tokens, ropes, branches, geometry, condition)
            for name, b in branches.items():
                result.update(self.outputs(b.point_set, final[name]))
            return result
        anchors = {n: self._tokens(batch, b, 0, b.anchors) for n, b in branches.items()}
        anchor_ropes = {n: self.rope.angles(b.positions[:, : b.anchors]) for n, b in branches.items()}
        _, contexts = self._layers(anchors, anchor_ropes, branches, geometry, condition)
        for name, b in branches.items():
            parts = []
            for start, stop in chunks(b.positions.shape[1], chunk_size):
                x = {name: self._tokens(batch, b, start, stop)}
                rope = {name: self.rope.angles(b.positions[:, start:stop])}
                out, _ = self._layers(x, rope, branches, geometry, condition, contexts)
                parts.append(self.outputs(b.point_set, out[name]))
            result.update(concat_outputs(parts))
        return result

    def _tokens(self, batch: Mapping[str, torch.Tensor], branch: _Branch, start: int = 0,
                stop: int | None = None) -> torch.Tensor:
        index = self.point_sets.index(branch.point_set)
        embedding = self.embeddings[branch.point_set.name]
        return self.embed_points(embedding, batch, branch.point_set, start, stop) + self.branch_embedding[index]

    def _geometry(self, batch: Mapping[str, torch.Tensor], condition: torch.Tensor | None) -> _Geometry:
        tokens, centers = self.encoder(
            self.require(batch, keys.GEOMETRY_POSITION), self.require(batch, keys.SUPERNODE_INDEX),
            self.require(batch, keys.SUPERNODE_NEIGHBORS), batch.get(keys.SUPERNODE_NEIGHBOR_MASK),
        )
        mask = self.key_padding(self.supernode_mask(batch))
        rope = self.rope.angles(centers)
        for block in self.geometry_blocks:
            tokens = block(tokens, mask=mask, condition=condition, rope=rope)
        return _Geometry(tokens, mask, rope)

    def _branch(self, batch: Mapping[str, torch.Tensor], point_set: PointSet) -> _Branch:
        positions = self.positions(batch, point_set)
        mask = self.mask(batch, point_set)
        count = batch.get(point_set.anchor_count_key)
        if count is None:
            anchors, anchor_mask = positions.shape[1], mask
        else:
            count = count.reshape(-1).long()
            if bool((count < 1).any()):
                raise ValueError(
                    f"model '{self.name}': every sample needs at least one anchor in "
                    f"'{point_set.anchor_count_key}', got {count.tolist()}"
                )
            anchors = min(int(count.max()), positions.shape[1])
            index = torch.arange(positions.shape[1], device=positions.device)
            anchor_mask = mask & (index[None, :] < count[:, None])
        anchor_mask = anchor_mask[:, :anchors]
        return _Branch(point_set, positions, anchors, self.key_padding(anchor_mask))

    def _layers(
        self,
        tokens: dict[str, torch.Tensor],
        ropes: dict[str, RotaryAngles],
        branches: dict[str, _Branch],
        geometry: _Geometry,
        condition: torch.Tensor | None,
        contexts: list[_LayerContext] | None = None,
    ) -> tuple[dict[str, torch.Tensor], list[_LayerContext]]:
        """Run the physics and decoder layers over ``tokens`` (per branch).

        Without ``contexts`` the tokens start with their branch's anchors, whose keys each layer uses (and
        records); with ``contexts`` (recorded on the anchors) the tokens are queries attending to them.
        """
        recorded: list[_LayerContext] = []
        layers: list[tuple[str, dict[str, Block]]] = [
            (kind, {name: block for name in branches}) for kind, block in zip(self.physics_kinds, self.physics,
                                                                                strict=True)
        ]
        for depth in range(self.config.decoder_depth):
            layers.append(("self", {name: self.decoders[name][depth] for name in branches}))
        for i, (kind, blocks) in enumerate(layers):
            if contexts is not None:
                context = contexts[i]
            elif kind == "geometry":
                block = next(iter(blocks.values()))
                kv = block.context(geometry.tokens, rope=geometry.rope)
                context = {name: (kv, geometry.mask) for name in branches}
            else:
                own = {
                    name: (blocks[name].context(tokens[name][:, : b.anchors], condition,
                                                ropes[name].slice(0, b.anchors)), b.anchor_mask)
                    for name, b in branches.items()
                }
                context = own if kind == "self" else {name: own[self._other(name)] for name in branches}
            recorded.append(context)
            tokens = {
                name: blocks[name](x, context[name][0], mask=context[name][1], condition=condition, rope=ropes[name])
                for name, x in tokens.items()
            }
        return tokens, recorded

    def _other(self, name: str) -> str:
        return next(s.name for s in self.point_sets if s.name != name)
