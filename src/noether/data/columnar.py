"""Sample processors applied to a whole :class:`~noether.data.batch.SampleBatch` at once.

A batched step returns the processed batch, or ``None`` when it cannot take this batch column-wise (a ragged
column, a missing key, too few points); the pipeline then processes the samples one by one from that step on,
which also raises the per-sample error messages. Every batched step gives the values of its per-sample form,
random ones included: :class:`~noether.data.processors.PointSampling` still draws from one generator per
``(seed, epoch, sample index)``.

A processor of a plugin opts in by defining ``process_batch(batch) -> SampleBatch | None``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from noether.data.batch import SampleBatch
from noether.data.processors import DuplicateKeys, PointSampling, Processor, RenameKeys

#: A batched form of a sample processor.
BatchStep = Callable[[SampleBatch], SampleBatch | None]


def _by_keys(processor: Processor) -> BatchStep:
    # Renaming and duplicating touch keys only: on the column dict they do exactly what they do per sample.
    def step(batch: SampleBatch) -> SampleBatch | None:
        processor(batch.columns)
        return batch

    return step


def _point_sampling(processor: PointSampling) -> BatchStep:
    def step(batch: SampleBatch) -> SampleBatch | None:
        columns = batch.columns
        if "index" not in columns or not all(k in columns and batch.is_batched(k) for k in processor.items):
            return None
        tensors: list[torch.Tensor] = [columns[k] for k in processor.items]
        if any(t.dim() < 2 for t in tensors) or len({t.shape[1] for t in tensors}) > 1:
            return None
        points = int(tensors[0].shape[1])
        if points < processor.num_points:
            return None
        rows = [
            np.sort(np.random.default_rng((processor.seed, processor.epoch, int(index))).choice(
                points, size=processor.num_points, replace=False))
            for index in columns["index"]
        ]
        if not rows:
            return batch
        selection = torch.from_numpy(np.stack(rows))
        samples = torch.arange(len(batch)).unsqueeze(1)
        for key, tensor in zip(processor.items, tensors, strict=True):
            columns[key] = tensor[samples, selection]
        return batch

    return step


def batch_step(processor: Processor) -> BatchStep | None:
    """The batched form of ``processor``, or ``None`` if it has none (it then runs per sample)."""
    own: Any = getattr(processor, "process_batch", None)
    if own is not None:
        return own
    # Exact types: a subclass may change what ``__call__`` does, and then only its per-sample form is right.
    if type(processor) is PointSampling:
        return _point_sampling(processor)
    if type(processor) in (RenameKeys, DuplicateKeys):
        return _by_keys(processor)
    return None
