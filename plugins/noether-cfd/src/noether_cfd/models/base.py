"""The forward contract shared by the CFD models: the batch keys they read and the dict they return.

Every CFD model is called as ``model(**batch)`` with keys of :mod:`noether_cfd.batch` (padded form, one
``<set>_mask`` per point set; a missing mask means every point is real) and returns
``{field: (B, N, size)}`` for each field of ``surface_outputs`` / ``volume_outputs``, padded like its inputs
(values at padded points are unspecified). Keys a model does not use are ignored, so the whole batch can be
passed. :meth:`CfdModel.predict_chunked` evaluates the query points in chunks with the same result.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import torch
from torch import nn

from noether.core.models.base import Model
from noether_cfd import batch as keys
from noether_cfd.models.containers import ModulesByName
from noether_cfd.models.embeddings import PointEmbedding
from noether_cfd.models.schemas import CfdModelConfig


@attrs.frozen
class PointSet:
    """One configured point set of a model: where its inputs are in the batch and what it predicts."""

    #: ``surface`` or ``volume``.
    name: str
    #: Further per-point inputs and their sizes.
    features: dict[str, int]
    #: Predicted fields and their sizes.
    outputs: dict[str, int]

    @property
    def position_key(self) -> str:
        """Batch key of the positions."""
        return f"{self.name}_position"

    @property
    def mask_key(self) -> str:
        """Batch key of the real-point mask."""
        return f"{self.name}_mask"

    @property
    def anchor_count_key(self) -> str:
        """Batch key of the number of leading anchor points (AB-UPT)."""
        return f"{self.name}_anchor_count"


class CfdModel(Model):
    """Base of the CFD models: input lookup with clear errors, condition embedding, output heads, chunking.

    Subclasses implement :meth:`predict` (``chunk_size=None``: everything at once).
    """

    config: CfdModelConfig
    #: Batch keys the model reads besides each point set's (masks are optional: absent means all real).
    required_keys: tuple[str, ...] = ()

    def __init__(self, config: CfdModelConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        sets = [PointSet("surface", dict(config.surface_features), dict(config.surface_outputs)),
                PointSet("volume", dict(config.volume_features), dict(config.volume_outputs))]
        self.point_sets = [s for s in sets if s.outputs]
        dim = config.hidden_dim
        self.condition_embedding = (
            nn.Sequential(nn.Linear(config.condition_dim, dim), nn.GELU(), nn.Linear(dim, dim))
            if config.condition_dim else None
        )
        self.heads = ModulesByName({
            s.name: nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, sum(s.outputs.values())))
            for s in self.point_sets
        })

    # -- the contract -------------------------------------------------------------------------------------
    def input_keys(self) -> list[str]:
        """Every batch key this model reads (required or optional), e.g. for ``forward_properties``."""
        wanted = list(self.required_keys)
        for s in self.point_sets:
            wanted += [s.position_key, s.mask_key, *s.features]
        if self.config.condition_dim:
            wanted.append(keys.CONDITIONS)
        return list(dict.fromkeys(wanted))

    def output_keys(self) -> list[str]:
        """The fields this model returns."""
        return [field for s in self.point_sets for field in s.outputs]

    def forward(self, **batch: torch.Tensor) -> dict[str, torch.Tensor]:
        """Predict every configured field; evaluation without gradients is chunked when ``eval_chunk_size``
        is set."""
        chunk = self.config.eval_chunk_size
        if chunk is not None and not self.training and not torch.is_grad_enabled():
            return self.predict(batch, chunk)
        return self.predict(batch, None)

    def predict_chunked(self, batch: Mapping[str, torch.Tensor], chunk_size: int) -> dict[str, torch.Tensor]:
        """Predict without gradients, ``chunk_size`` query points at a time (bounded memory; same result).

        Call it on a model in ``eval()`` mode: training-time noise (Transolver++'s Gumbel slices) is off in
        the chunked path.
        """
        if chunk_size <= 0:
            raise ValueError(f"chunk_size must be positive, got {chunk_size}")
        with torch.no_grad():
            return self.predict(batch, chunk_size)

    def predict(self, batch: Mapping[str, torch.Tensor], chunk_size: int | None) -> dict[str, torch.Tensor]:
        """Predict every configured field, in chunks of ``chunk_size`` query points when given."""
        raise NotImplementedError

    # -- helpers for subclasses ---------------------------------------------------------------------------
    def require(self, batch: Mapping[str, torch.Tensor], key: str) -> torch.Tensor:
        """``batch[key]``, or an error that names the key and how to provide it."""
        if key not in batch:
            raise KeyError(
                f"model '{self.name}' ({type(self).__name__}) needs the batch key '{key}'; it got "
                f"{', '.join(sorted(batch)) or 'nothing'}. Add '{key}' to the trainer's forward_properties "
                f"(this model reads: {', '.join(self.input_keys())})."
            )
        return batch[key]

    def positions(self, batch: Mapping[str, torch.Tensor], point_set: PointSet) -> torch.Tensor:
        """``(B, N, position_dim)`` positions of a point set."""
        return self.require(batch, point_set.position_key)

    def mask(self, batch: Mapping[str, torch.Tensor], point_set: PointSet) -> torch.Tensor:
        """``(B, N)`` real-point mask of a point set (all real when the batch has none)."""
        positions = self.positions(batch, point_set)
        mask = batch.get(point_set.mask_key)
        if mask is None:
            return torch.ones(positions.shape[:2], dtype=torch.bool, device=positions.device)
        return mask.bool()

    def supernode_mask(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``(B, S)`` real-supernode mask (all real when the batch has none)."""
        index = self.require(batch, keys.SUPERNODE_INDEX)
        mask = batch.get(keys.SUPERNODE_MASK)
        if mask is None:
            return torch.ones(index.shape[:2], dtype=torch.bool, device=index.device)
        return mask.bool()

    @staticmethod
    def key_padding(mask: torch.Tensor) -> torch.Tensor | None:
        """``mask`` for attention, or ``None`` when every point is real (lets SDPA take its unmasked kernels)."""
        return None if bool(mask.all()) else mask

    def features(self, batch: Mapping[str, torch.Tensor], point_set: PointSet) -> torch.Tensor | None:
        """``(B, N, F)`` further per-point inputs of a point set, in config order; ``None`` without any."""
        if not point_set.features:
            return None
        return torch.cat([self.require(batch, key).float() for key in point_set.features], dim=-1)

    def embed_points(
        self, embedding: PointEmbedding, batch: Mapping[str, torch.Tensor], point_set: PointSet,
        start: int = 0, stop: int | None = None,
    ) -> torch.Tensor:
        """Tokens of points ``start:stop`` of a point set."""
        positions = self.positions(batch, point_set)[:, start:stop]
        features = self.features(batch, point_set)
        return embedding(positions, None if features is None else features[:, start:stop])

    def condition(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor | None:
        """``(B, hidden_dim)`` embedding of the per-sample conditions; ``None`` when the model reads none."""
        if self.condition_embedding is None:
            return None
        conditions = self.require(batch, keys.CONDITIONS).float()
        return self.condition_embedding(conditions.reshape(conditions.shape[0], -1))

    def point_embeddings(self, *, sincos: bool) -> ModulesByName[PointEmbedding]:
        """One :class:`PointEmbedding` per point set."""
        c = self.config
        return ModulesByName({
            s.name: PointEmbedding(c.hidden_dim, c.position_dim, sum(s.features.values()), c.max_wavelength,
                                   sincos=sincos)
            for s in self.point_sets
        })

    def outputs(self, point_set: PointSet, tokens: torch.Tensor) -> dict[str, torch.Tensor]:
        """The predicted fields of a point set from its final ``(B, N, hidden_dim)`` tokens."""
        out = self.heads[point_set.name](tokens)
        return dict(zip(point_set.outputs, out.split(list(point_set.outputs.values()), dim=-1), strict=True))


def chunks(length: int, chunk_size: int | None) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive chunks covering ``range(length)`` (one chunk when ``None``)."""
    step = length if chunk_size is None else chunk_size
    for start in range(0, length, max(step, 1)):
        yield start, min(start + step, length)
    if length == 0:
        yield 0, 0


def concat_outputs(parts: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The per-chunk output dicts of one point set joined along the point dimension."""
    return {field: torch.cat([part[field] for part in parts], dim=1) for field in parts[0]}
