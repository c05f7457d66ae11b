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
from noether_cfd.models.base import CfdModel, PointSet, chunks
from noether_cfd.models.blocks import Block, KeysValues
from noether_cfd.models.containers import Modules, ModulesByName
from noether_cfd.models.embeddings import Rotary3d, RotaryAngles
from noether_cfd.models.schemas import AbUptConfig
from noether_cfd.models.supernodes import SupernodePooling

#: The keys and key mask each branch attends to in one layer.
_LayerContext = dict[str, tuple[KeysValues, torch.Tensor]]


@attrs.frozen
class _Branch:
    """A branch's point set, its anchors (the leading ``anchors`` points, ``anchor_mask`` real) and angles."""

    point_set: PointSet
    anchors: int
    anchor_mask: torch.Tensor
    rope: RotaryAngles


@attrs.frozen
class _Geometry:
    """The processed geometry tokens, their mask and angles."""

    tokens: torch.Tensor
    mask: torch.Tensor
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
        """Predict every configured field, ``chunk_size`` query points at a time when given."""
        condition = self.condition(batch)
        geometry = self._geometry(batch, condition)
        branches = {s.name: self._branch(batch, s) for s in self.point_sets}
        tokens = {s.name: self.embed_points(self.embeddings[s.name], batch, s) + self.branch_embedding[i]
                  for i, s in enumerate(self.point_sets)}
        result: dict[str, torch.Tensor] = {}
        if chunk_size is None:
            final, _ = self._layers(tokens, {n: b.rope for n, b in branches.items()}, branches, geometry, condition)
        else:
            anchors = {n: t[:, : branches[n].anchors] for n, t in tokens.items()}
            anchor_rope = {n: b.rope.slice(0, b.anchors) for n, b in branches.items()}
            _, contexts = self._layers(anchors, anchor_rope, branches, geometry, condition)
            final = {}
            for name, t in tokens.items():
                parts = []
                for a, b in chunks(t.shape[1], chunk_size):
                    out, _ = self._layers({name: t[:, a:b]}, {name: branches[name].rope.slice(a, b)}, branches,
                                          geometry, condition, contexts)
                    parts.append(out[name])
                final[name] = torch.cat(parts, dim=1)
        for s in self.point_sets:
            result.update(self.outputs(s, final[s.name]))
        return result

    def _geometry(self, batch: Mapping[str, torch.Tensor], condition: torch.Tensor | None) -> _Geometry:
        tokens, centers = self.encoder(
            self.require(batch, keys.GEOMETRY_POSITION), self.require(batch, keys.SUPERNODE_INDEX),
            self.require(batch, keys.SUPERNODE_NEIGHBORS), batch.get(keys.SUPERNODE_NEIGHBOR_MASK),
        )
        mask = self.supernode_mask(batch)
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
        return _Branch(point_set, anchors, anchor_mask[:, :anchors], self.rope.angles(positions))

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
