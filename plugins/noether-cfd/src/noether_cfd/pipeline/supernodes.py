"""Geometry points, supernodes and their neighbour graph as a per-sample pipeline processor."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from noether_cfd import batch as keys
from noether_cfd.pipeline.graph import neighbor_lists
from noether_cfd.pipeline.schemas import SupernodeSamplingConfig
from noether_cfd.pipeline.seeding import SeededProcessor, choose

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
        rng = self.rng(index, SUPERNODE_STREAM)
        geometry = source.index_select(0, torch.from_numpy(choose(rng, n, wanted)))
        # Geometry points are already in random order: the first S are a uniform draw of supernodes.
        supernodes = np.arange(cfg.num_supernodes, dtype=np.int64)
        points = geometry.detach().double().numpy()
        radius = cfg.radius if cfg.graph == "radius" else None
        neighbors, mask = neighbor_lists(points, points[: cfg.num_supernodes], cfg.max_neighbors, radius)
        sample[keys.GEOMETRY_POSITION] = geometry
        sample[keys.SUPERNODE_INDEX] = torch.from_numpy(supernodes)
        sample[keys.SUPERNODE_NEIGHBORS] = torch.from_numpy(neighbors)
        sample[keys.SUPERNODE_NEIGHBOR_MASK] = torch.from_numpy(mask)
        return sample
