"""A dataset read in chunks of consecutive samples, one ``__getitems__`` call each (the statistics pass).

A chunk holds up to :data:`CHUNK` samples, fewer for large ones (about :data:`CHUNK_BYTES`, sized from the first
sample), so that batch loaders serve many samples per call while large meshes are still loaded one at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from noether.data.batch import SampleBatch
from noether.data.wrappers import fetch_batch


class Chunks(torch.utils.data.Dataset[list[tuple[int, Any]]]):
    """Chunk ``c`` of the dataset as ``[(index, sample or error message), ...]``: loaded with the dataset's
    ``__getitems__`` where it has one (its batch loaders serve a whole chunk, and a
    :class:`~noether.data.batch.SampleBatch` stays one entry: ``(first index, batch)``), else sample by sample. With
    ``skip_errors`` a chunk that fails is loaded again sample by sample, so a bad sample is reported and
    skipped; without, the dataset's own error (naming the sample) is raised."""

    def __init__(self, dataset: Any, skip_errors: bool, chunk: int) -> None:
        self.dataset = dataset
        self.skip_errors = skip_errors
        self.chunk = chunk

    def __len__(self) -> int:
        return -(-len(self.dataset) // self.chunk)

    def __getitem__(self, c: int) -> list[tuple[int, Any]]:
        indices = list(range(c * self.chunk, min((c + 1) * self.chunk, len(self.dataset))))
        if not self.skip_errors:
            return loaded(indices, fetch_batch(self.dataset, indices))
        try:
            return loaded(indices, fetch_batch(self.dataset, indices))
        except Exception:
            return [self._one(i) for i in indices]

    def _one(self, idx: int) -> tuple[int, Any]:
        try:
            return idx, self.dataset[idx]
        except Exception as exc:
            return idx, f"{type(exc).__name__}: {exc}"


def loaded(indices: list[int], batch: Any) -> list[tuple[int, Any]]:
    """What ``fetch_batch`` gave for ``indices`` as chunk entries: one ``(first index, batch)`` for a
    :class:`~noether.data.batch.SampleBatch`, else ``(index, sample)`` per sample."""
    if isinstance(batch, SampleBatch):
        return [(indices[0], batch)]
    return list(zip(indices, batch, strict=True))


#: Samples loaded per ``__getitems__`` call at most (a chunk's observations are merged at once where they are
#: batched) ...
CHUNK = 256
#: ... and fewer, so that a chunk holds about this many bytes of sample data: samples of large meshes are loaded
#: one at a time, as before chunks.
CHUNK_BYTES = 64 * 2**20


def chunk_size(dataset: Any) -> int:
    """Samples per chunk for ``dataset``: :data:`CHUNK`, or fewer as its first sample's size requires (one when
    it cannot be loaded: the pass then reports it)."""
    if len(dataset) == 0:
        return 1
    try:
        first = fetch_batch(dataset, [0])  # as the pass loads it: a batched property is not read on its own
    except Exception:
        return 1
    if isinstance(first, SampleBatch):
        values: Iterable[Any] = first.columns.values()
    else:
        values = first[0].values() if first and isinstance(first[0], dict) else ()
    size = sum(int(v.nbytes) for v in values if isinstance(v, torch.Tensor | np.ndarray))
    return max(1, min(CHUNK, CHUNK_BYTES // max(size, 1)))


__all__ = ["CHUNK", "CHUNK_BYTES", "Chunks", "chunk_size", "loaded"]
