"""Random generators keyed by ``(seed, epoch, sample, stream)``: the same draws in any worker and after resume.

The same keys serve a whole column-wise batch (:class:`~noether.data.batch.SampleBatch`): sample ``i`` of a
batch draws from the generator of its own ``index``, so the batched and the per-sample forms of a processor
draw the same numbers, whatever the batch composition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from noether.data.batch import SampleBatch
from noether.data.processors import Processor


def run_seed(configured: int | None) -> int:
    """The configured seed, else the run's (the run seeds torch before it builds datasets and pipelines)."""
    if configured is not None:
        return int(configured)
    return int(torch.initial_seed())


def sample_rng(seed: int, epoch: int, index: int, stream: int) -> np.random.Generator:
    """A generator for one draw; ``stream`` separates the steps of a pipeline so that they draw independently."""
    return np.random.default_rng((seed, epoch, index, stream))


def choose(rng: np.random.Generator, n: int, k: int | None, weights: np.ndarray | None = None) -> np.ndarray:
    """``k`` distinct indices out of ``n`` in random order (``None`` or ``k >= n``: a permutation of all ``n``)."""
    if k is None or k >= n:
        return rng.permutation(n)
    if weights is None:
        return rng.choice(n, size=k, replace=False)
    p = np.asarray(weights, dtype=np.float64).reshape(-1)
    return rng.choice(n, size=k, replace=False, p=p / p.sum())


class SeededProcessor(Processor):
    """A processor whose draws are keyed by ``(seed, epoch, sample, stream)``; its config has ``seed`` and ``fixed``."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.seed = run_seed(config.seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Draw other points in every epoch (unless the config is ``fixed``)."""
        self.epoch = int(epoch)

    def rng(self, index: int, stream: int) -> np.random.Generator:
        """The generator of one draw of sample ``index`` (epoch 0 when ``fixed``)."""
        return sample_rng(self.seed, 0 if self.config.fixed else self.epoch, index, stream)

    def batch_indices(self, batch: SampleBatch) -> list[int] | None:
        """The sample indices of a column-wise batch (``None`` without an ``index`` column: the per-sample
        form then raises its message)."""
        column = batch.columns.get("index")
        return None if column is None else [int(i) for i in column]


def point_counts(batch: SampleBatch, items: Sequence[str]) -> list[int] | None:
    """Per sample, the common first dimension of ``items`` (``None`` if an item is missing, not a tensor with
    a point dimension, or of another length than the others in some sample)."""
    columns = batch.columns
    counts: list[int] | None = None
    for item in items:
        column = columns.get(item)
        if isinstance(column, torch.Tensor):
            if column.dim() < 2:
                return None
            lengths = [int(column.shape[1])] * batch.size
        elif isinstance(column, list) and all(isinstance(v, torch.Tensor) and v.dim() >= 1 for v in column):
            lengths = [int(v.shape[0]) for v in column]
        else:
            return None
        if counts is None:
            counts = lengths
        elif counts != lengths:
            return None
    return counts


def gather_points(column: Any, selections: Sequence[np.ndarray]) -> torch.Tensor | list[torch.Tensor]:
    """Rows ``selections[i]`` of sample ``i`` of a column: one gather for a batched column, else per sample.

    Equal, value for value, to ``column[i].index_select(0, selections[i])`` per sample; the result is one
    tensor ``(batch, k, ...)`` when every selection has ``k`` rows, else a list.
    """
    if selections and len({len(s) for s in selections}) == 1:
        if isinstance(column, torch.Tensor):
            # One index_select of whole rows over the flattened batch: several times faster than advanced
            # indexing with a (batch, k) index pair, and the same values.
            size, points = int(column.shape[0]), int(column.shape[1])
            offsets = np.arange(size, dtype=np.int64)[:, None] * points
            rows = torch.from_numpy((np.stack(selections).astype(np.int64, copy=False) + offsets).reshape(-1))
            flat = column.reshape(size * points, *column.shape[2:])
            # Gathered into a tensor of the batch's shape (not a reshaped view), so the collator need not copy it.
            out = column.new_empty((size, len(selections[0]), *column.shape[2:]))
            torch.index_select(flat, 0, rows, out=out.view(size * len(selections[0]), *column.shape[2:]))
            return out
        return torch.stack([v.index_select(0, torch.from_numpy(s)) for v, s in zip(column, selections, strict=True)])
    return [column[i].index_select(0, torch.from_numpy(s)) for i, s in enumerate(selections)]
