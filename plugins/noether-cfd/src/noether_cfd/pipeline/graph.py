"""Fixed-length neighbour lists of supernodes (k nearest, or nearest within a radius) with scipy's cKDTree."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def neighbor_lists(
    points: np.ndarray, centres: np.ndarray, max_neighbors: int, radius: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(S, K)`` into ``points`` of each centre's neighbours, nearest first, and their mask.

    ``radius=None`` gives the ``K`` nearest points (fewer when there are fewer points); otherwise only points
    within ``radius`` count. Missing entries hold index 0 and mask ``False``. A centre that is itself one of
    ``points`` is its own first neighbour, so no list is empty.
    """
    n = len(points)
    k = min(max_neighbors, n)
    tree = cKDTree(points)
    bound = np.inf if radius is None else radius * (1 + 1e-9)
    distances, indices = tree.query(centres, k=k, distance_upper_bound=bound)
    distances = np.asarray(distances).reshape(len(centres), k)
    indices = np.asarray(indices).reshape(len(centres), k)
    mask = np.isfinite(distances)
    indices = np.where(mask, indices, 0)
    if k < max_neighbors:
        pad = max_neighbors - k
        indices = np.pad(indices, ((0, 0), (0, pad)))
        mask = np.pad(mask, ((0, 0), (0, pad)))
    return indices.astype(np.int64), mask
