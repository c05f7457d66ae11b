"""Geometry points, supernodes and their neighbour graph as a per-sample pipeline processor.

A neighbour search is inherently per sample, so the column-wise form (:meth:`SupernodeSampling.process_batch`)
runs it sample by sample inside the batch and hands back batched columns (every sample has ``num_supernodes``
lists of ``max_neighbors``; the geometry has ``geometry_points`` rows when that is set).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from noether.data.batch import SampleBatch
from noether_cfd import batch as keys
from noether_cfd.pipeline.graph import neighbor_lists
from noether_cfd.pipeline.schemas import SupernodeSamplingConfig
from noether_cfd.pipeline.seeding import SeededProcessor, choose, point_counts

SUPERNODE_STREAM = 3


class SupernodeSampling(SeededProcessor):
    """Adds ``geometry_position``, ``supernode_index``, ``supernode_neighbors`` and ``supernode_neighbor_mask``."""

    config: SupernodeSamplingConfig

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        """Build the geometry encoding inputs of one sample; needs its ``index``."""
        cfg = self.config
        if "index" not in sample:
            raise KeyError("SupernodeSampling needs the sample's 'index' (do not exclude it)")
        index = int(sample["index"])
        if cfg.source not in sample:
            raise KeyError(f"SupernodeSampling: sample {index} has no '{cfg.source}'; its keys: {', '.join(sample)}")
        source = sample[cfg.source]
        n = int(source.shape[0])
        wanted = cfg.geometry_points
        if wanted is not None and n < wanted:
            raise ValueError(
                f"SupernodeSampling: sample {index} has {n} points in '{cfg.source}', fewer than "
                f"geometry_points={wanted}"
            )
        if n < cfg.num_supernodes:
            raise ValueError(
                f"SupernodeSampling: sample {index} has {n} points, fewer than num_supernodes={cfg.num_supernodes}"
            )
        geometry, neighbors, mask = self._graph(source, index)
        sample[keys.GEOMETRY_POSITION] = geometry
        # Geometry points are already in random order: the first S are a uniform draw of supernodes.
        sample[keys.SUPERNODE_INDEX] = torch.from_numpy(np.arange(cfg.num_supernodes, dtype=np.int64))
        sample[keys.SUPERNODE_NEIGHBORS] = torch.from_numpy(neighbors)
        sample[keys.SUPERNODE_NEIGHBOR_MASK] = torch.from_numpy(mask)
        return sample

    def _graph(self, source: torch.Tensor, index: int) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
        """The geometry points of one sample and its supernodes' neighbour lists and mask."""
        cfg = self.config
        rng = self.rng(index, SUPERNODE_STREAM)
        geometry = source.index_select(0, torch.from_numpy(choose(rng, int(source.shape[0]), cfg.geometry_points)))
        points = geometry.detach().double().numpy()
        radius = cfg.radius if cfg.graph == "radius" else None
        neighbors, mask = neighbor_lists(points, points[: cfg.num_supernodes], cfg.max_neighbors, radius)
        return geometry, neighbors, mask

    def process_batch(self, batch: SampleBatch) -> SampleBatch | None:
        """The per-sample form for every sample of a column-wise batch, with batched output columns.

        ``None`` (the per-sample form then raises the message) without an index column or the ``source``
        column, or when a sample has too few points.
        """
        cfg = self.config
        indices = self.batch_indices(batch)
        counts = point_counts(batch, [cfg.source])
        if indices is None or counts is None:
            return None
        smallest = max(cfg.num_supernodes, cfg.geometry_points or 0)
        if any(n < smallest for n in counts):
            return None
        column = batch.columns[cfg.source]
        graphs = [self._graph(column[i], index) for i, index in enumerate(indices)]
        geometry = [g for g, _, _ in graphs]
        out = dict(batch.columns)
        # Stacked when the samples agree (always with geometry_points): the collator then pads nothing.
        out[keys.GEOMETRY_POSITION] = (
            torch.stack(geometry) if len({g.shape for g in geometry}) == 1 else geometry)
        supernodes = torch.arange(cfg.num_supernodes, dtype=torch.int64)
        out[keys.SUPERNODE_INDEX] = supernodes.unsqueeze(0).repeat(batch.size, 1)
        out[keys.SUPERNODE_NEIGHBORS] = torch.from_numpy(np.stack([n for _, n, _ in graphs]))
        out[keys.SUPERNODE_NEIGHBOR_MASK] = torch.from_numpy(np.stack([m for _, _, m in graphs]))
        return SampleBatch(out, batch.size)
