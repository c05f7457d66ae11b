"""Collators: how a list of samples becomes one batch dict.

Each collator handles a set of keys. :class:`DefaultCollator` stacks (``default_collate``);
:class:`ConcatCollator` concatenates variable-size point clouds and adds a batch index; :class:`PadCollator`
pads them to a common size and adds a mask. None of them copies more than the batch tensor it builds.

Each also collates a :class:`~noether.data.batch.SampleBatch` column by column (``collate_columns``): a
batched column is already the stacked tensor, so it is used as it is (concatenation is a reshape, padding of
equal-size samples is the tensor itself); per-sample columns take the per-sample route. Both routes give the
same values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import default_collate

from noether.data.batch import BatchIndices, SampleBatch, owned
from noether.data.schemas import ConcatCollatorConfig, DefaultCollatorConfig, PadCollatorConfig

Sample = Mapping[str, Any]


def _column(samples: Sequence[Sample], key: str) -> list[Any]:
    try:
        return [sample[key] for sample in samples]
    except KeyError:
        missing = next(i for i, s in enumerate(samples) if key not in s)
        raise KeyError(
            f"sample {missing} of the batch has no key '{key}'; its keys: {', '.join(samples[missing])}"
        ) from None


def _tensors(samples: Sequence[Sample], key: str, what: str) -> list[torch.Tensor]:
    values = _column(samples, key)
    for i, value in enumerate(values):
        if not isinstance(value, torch.Tensor) or value.dim() == 0:
            raise TypeError(f"{what} '{key}': sample {i} of the batch is not a tensor with a point dimension")
    return values


class Collator:
    """Base of collators: ``collate(samples, keys)`` returns the batch entries of ``keys``."""

    #: Keys this collator claims; ``None``: the keys no other collator claims.
    items: tuple[str, ...] | None = None

    def collate(self, samples: Sequence[Sample], keys: Sequence[str]) -> dict[str, Any]:
        """Collate ``keys`` of ``samples``."""
        raise NotImplementedError

    def output_keys(self, key: str) -> tuple[str, ...]:
        """The batch keys produced for input ``key`` (to detect clashes between collators early)."""
        return (key,)

    def collate_columns(self, batch: SampleBatch, keys: Sequence[str]) -> dict[str, Any]:
        """Collate ``keys`` of a column-wise batch; this default builds the samples of just those keys."""
        columns = [batch.columns[key] for key in keys]
        samples = [{key: column[i] for key, column in zip(keys, columns, strict=True)} for i in range(len(batch))]
        return self.collate(samples, keys)

    def __call__(self, samples: Sequence[Sample]) -> dict[str, Any]:
        """Collate every key (a collator alone is a complete collate function)."""
        if not samples:
            return {}
        return self.collate(samples, list(self.items or samples[0]))


class DefaultCollator(Collator):
    """``torch.utils.data.default_collate`` per key: tensors are stacked, numbers become tensors."""

    def __init__(self, config: DefaultCollatorConfig | None = None) -> None:
        self.config = config or DefaultCollatorConfig()
        self.items = None if self.config.items is None else tuple(self.config.items)

    def collate(self, samples: Sequence[Sample], keys: Sequence[str]) -> dict[str, Any]:
        """Stack each key."""
        in_main_process = torch.utils.data.get_worker_info() is None
        return {key: self._stack(key, _column(samples, key), in_main_process) for key in keys}

    def _stack(self, key: str, column: Sequence[Any], in_main_process: bool) -> Any:
        first = column[0]
        # Fast paths for the common cases; default_collate also handles the rest and, inside workers,
        # builds the batch in shared memory.
        if in_main_process and isinstance(first, torch.Tensor):
            try:
                return torch.stack(list(column))
            except (RuntimeError, TypeError):
                pass
        elif type(first) is int:
            # Through numpy: several times faster than torch.tensor on a list, and the same int64 tensor.
            array = np.asarray(column)
            if array.ndim == 1 and array.dtype.kind == "i":
                return torch.from_numpy(array.astype(np.int64, copy=False))
        try:
            return default_collate(list(column))
        except RuntimeError as exc:
            shapes = sorted({tuple(getattr(v, "shape", ())) for v in column})
            raise RuntimeError(
                f"cannot stack '{key}': samples have shapes {shapes[:4]}; use a ConcatCollator or "
                f"PadCollator for variable-size items, or PointSampling to a fixed count ({exc})"
            ) from exc

    def collate_columns(self, batch: SampleBatch, keys: Sequence[str]) -> dict[str, Any]:
        """Batched columns are the stacked tensors already; per-sample columns are stacked as samples are."""
        in_main_process: bool | None = None
        out: dict[str, Any] = {}
        columns = batch.columns
        for key in keys:
            column = columns[key]
            if isinstance(column, torch.Tensor):
                out[key] = owned(column)
            elif isinstance(column, BatchIndices):
                out[key] = column.tensor  # made once per batch, shared with the gathers
            else:
                if in_main_process is None:
                    in_main_process = torch.utils.data.get_worker_info() is None
                out[key] = self._stack(key, column, in_main_process)
        return out


class ConcatCollator(Collator):
    """Concatenate point clouds ``(n_i, ...)`` into ``(sum n_i, ...)`` with a batch index per point."""

    def __init__(self, config: ConcatCollatorConfig) -> None:
        self.config = config
        self.items = tuple(config.items)
        self.suffix = config.batch_index_suffix

    def output_keys(self, key: str) -> tuple[str, ...]:
        """The item and its batch index."""
        return (key, key + self.suffix)

    def collate(self, samples: Sequence[Sample], keys: Sequence[str]) -> dict[str, Any]:
        """Concatenate each key along dim 0."""
        batch: dict[str, Any] = {}
        for key in keys:
            tensors = _tensors(samples, key, "ConcatCollator")
            counts = torch.tensor([t.shape[0] for t in tensors], dtype=torch.int64)
            batch[key] = torch.cat(tensors, dim=0)
            batch[key + self.suffix] = torch.repeat_interleave(torch.arange(len(tensors)), counts)
        return batch

    def collate_columns(self, batch: SampleBatch, keys: Sequence[str]) -> dict[str, Any]:
        """A batched column ``(B, n, ...)`` concatenates to ``(B * n, ...)`` by a reshape."""
        if not all(batch.is_batched(key) and batch.columns[key].dim() >= 2 for key in keys):
            return super().collate_columns(batch, keys)
        out: dict[str, Any] = {}
        for key in keys:
            column: torch.Tensor = batch.columns[key]
            size, points = column.shape[0], column.shape[1]
            out[key] = owned(column).reshape(size * points, *column.shape[2:])
            out[key + self.suffix] = torch.arange(size).repeat_interleave(points)
        return out


class PadCollator(Collator):
    """Pad point clouds ``(n_i, ...)`` to ``(batch, max n_i, ...)`` with a mask (True = real point)."""

    def __init__(self, config: PadCollatorConfig) -> None:
        self.config = config
        self.items = tuple(config.items)
        self.suffix = config.mask_suffix

    def output_keys(self, key: str) -> tuple[str, ...]:
        """The item and its mask."""
        return (key, key + self.suffix)

    def collate(self, samples: Sequence[Sample], keys: Sequence[str]) -> dict[str, Any]:
        """Pad each key to the largest sample."""
        batch: dict[str, Any] = {}
        for key in keys:
            tensors = _tensors(samples, key, "PadCollator")
            trailing = {tuple(t.shape[1:]) for t in tensors}
            if len(trailing) > 1:
                raise ValueError(f"PadCollator '{key}': samples differ beyond dim 0: {sorted(trailing)}")
            longest = max(t.shape[0] for t in tensors)
            first = tensors[0]
            out = first.new_full((len(tensors), longest, *first.shape[1:]), self.config.pad_value)
            mask = torch.zeros((len(tensors), longest), dtype=torch.bool)
            for i, t in enumerate(tensors):
                out[i, : t.shape[0]] = t
                mask[i, : t.shape[0]] = True
            batch[key] = out
            batch[key + self.suffix] = mask
        return batch

    def collate_columns(self, batch: SampleBatch, keys: Sequence[str]) -> dict[str, Any]:
        """Samples of a batched column all have the same size: it is its own padding, with a full mask."""
        if not all(batch.is_batched(key) and batch.columns[key].dim() >= 2 for key in keys):
            return super().collate_columns(batch, keys)
        out: dict[str, Any] = {}
        for key in keys:
            column: torch.Tensor = batch.columns[key]
            out[key] = owned(column)
            out[key + self.suffix] = torch.ones(column.shape[:2], dtype=torch.bool)
        return out
