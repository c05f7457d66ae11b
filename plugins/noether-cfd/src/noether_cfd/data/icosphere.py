"""A triangulated unit sphere: the icosahedron with every triangle split into four, ``level`` times."""

from __future__ import annotations

import numpy as np


def icosahedron() -> tuple[np.ndarray, np.ndarray]:
    """The 12 unit vertices and 20 outward-oriented triangles of the regular icosahedron."""
    t = (1.0 + 5.0**0.5) / 2.0
    points = np.array([
        [-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0],
        [0, -1, t], [0, 1, t], [0, -1, -t], [0, 1, -t],
        [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1],
    ], dtype=np.float64)
    faces = np.array([
        [0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11],
        [1, 5, 9], [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8],
        [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9],
        [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1],
    ], dtype=np.int64)
    return points / np.linalg.norm(points, axis=1, keepdims=True), faces


def icosphere(level: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit-sphere points ``(10 * 4**level + 2, 3)`` and outward triangles ``(20 * 4**level, 3)``.

    Each level puts a new point at the middle of every edge (shared by the edge's two triangles, pushed out
    to the sphere) and splits each triangle into four, keeping the orientation.
    """
    if level < 0:
        raise ValueError(f"level must be >= 0, got {level}")
    points, faces = icosahedron()
    for _ in range(level):
        edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
        unique, inverse = np.unique(np.sort(edges, axis=1), axis=0, return_inverse=True)
        middle = points[unique].mean(axis=1)
        middle /= np.linalg.norm(middle, axis=1, keepdims=True)
        mid = (inverse.reshape(3, -1) + len(points)).T  # mid[f] = midpoints of edges (01, 12, 20) of face f
        a, b, c = faces.T
        ab, bc, ca = mid.T
        faces = np.concatenate([
            np.stack([a, ab, ca], 1), np.stack([ab, b, bc], 1), np.stack([ca, bc, c], 1), np.stack([ab, bc, ca], 1),
        ])
        points = np.concatenate([points, middle])
    return points, faces
