"""Ragged batching of CFD samples: padding with one mask per point set, or concatenation with a batch index.

A *point set* is a group of per-point tensors sharing their first dimension: ``geometry_*``, ``supernode_*``,
``surface_*`` and ``volume_*`` (the names of :mod:`noether_cfd.batch`). Every other key (``index``,
``conditions``, anchor counts) is stacked.

A column-wise batch (:class:`~noether.data.batch.SampleBatch`) is collated by column: a point set whose
columns are batched tensors ``(batch, n, ...)`` is its own padding (with a full mask) and concatenates by a
reshape; the other point sets are padded or concatenated sample by sample. Both routes give the same batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch.utils.data import default_collate

from noether.data.batch import BatchIndices, SampleBatch, owned
from noether.data.collators import Collator
from noether_cfd import batch as keys
from noether_cfd.pipeline.schemas import CfdCollatorConfig

#: Point sets, each with the key whose first dimension defines the set's length.
POINT_SETS: dict[str, str] = {
    "geometry": keys.GEOMETRY_POSITION,
    "supernode": keys.SUPERNODE_INDEX,
    "surface": keys.SURFACE_POSITION,
    "volume": keys.VOLUME_POSITION,
}
#: Per-set keys that are not per point even though they carry the set's prefix.
_NOT_PER_POINT = (keys.SURFACE_ANCHOR_COUNT, keys.VOLUME_ANCHOR_COUNT)
#: Keys holding indices into the geometry points (offset when concatenating).
_GEOMETRY_INDICES = (keys.SUPERNODE_INDEX, keys.SUPERNODE_NEIGHBORS)


def mask_key(point_set: str) -> str:
    """The mask of a padded point set, e.g. ``surface_mask``."""
    return f"{point_set}_mask"


def point_set_members(sample: Mapping[str, Any]) -> dict[str, list[str]]:
    """The per-point keys of each point set present in ``sample`` (the defining key first)."""
    members: dict[str, list[str]] = {}
    for name, anchor in POINT_SETS.items():
        if anchor not in sample:
            continue
        length = sample[anchor].shape[0]
        prefix = name + "_"
        found = [anchor] + [
            k for k, v in sample.items()
            if k != anchor and k.startswith(prefix) and k not in _NOT_PER_POINT
            and isinstance(v, torch.Tensor) and v.dim() >= 1 and v.shape[0] == length
        ]
        members[name] = found
    return members


def _stack(samples: Sequence[Mapping[str, Any]], key: str) -> Any:
    column = [s[key] for s in samples]
    try:
        return default_collate(column)
    except RuntimeError as exc:
        shapes = sorted({tuple(getattr(v, "shape", ())) for v in column})
        raise RuntimeError(f"CfdCollator: cannot stack '{key}' (shapes {shapes[:4]}): {exc}") from exc


def _pad_set(batch: dict[str, Any], name: str, items: Sequence[str], samples: Sequence[Mapping[str, Any]]) -> None:
    """Pad the ``items`` of one point set of ``samples`` into ``batch``, with the set's mask first."""
    lengths = [int(s[items[0]].shape[0]) for s in samples]
    longest = max(lengths)
    mask = torch.zeros((len(samples), longest), dtype=torch.bool)
    for i, n in enumerate(lengths):
        mask[i, :n] = True
    batch[mask_key(name)] = mask
    for item in items:
        first = samples[0][item]
        out = first.new_zeros((len(samples), longest, *first.shape[1:]))
        for i, sample in enumerate(samples):
            value = sample[item]
            if value.shape[1:] != first.shape[1:]:
                raise ValueError(
                    f"CfdCollator: '{item}' has shape {tuple(value.shape)} in sample {sample.get('index')} "
                    f"but {tuple(first.shape)} in sample {samples[0].get('index')} (beyond the point dimension)"
                )
            out[i, : value.shape[0]] = value
        batch[item] = out


def pad_batch(samples: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Pad each point set to the largest sample and add ``<set>_mask`` (``True`` = real point)."""
    members = point_set_members(samples[0])
    batch: dict[str, Any] = {}
    claimed: set[str] = set()
    for name, items in members.items():
        _pad_set(batch, name, items, samples)
        claimed.update(items)
    for key in samples[0]:
        if key not in claimed:
            batch[key] = _stack(samples, key)
    return batch


def concat_batch(samples: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Concatenate each point set along dim 0 and add ``<set>_batch_index``; geometry indices are offset."""
    members = point_set_members(samples[0])
    batch: dict[str, Any] = {}
    claimed: set[str] = set()
    geometry_offsets = None
    if keys.GEOMETRY_POSITION in samples[0]:
        counts = torch.tensor([int(s[keys.GEOMETRY_POSITION].shape[0]) for s in samples])
        geometry_offsets = torch.cumsum(counts, 0) - counts
    for name, items in members.items():
        lengths = torch.tensor([int(s[items[0]].shape[0]) for s in samples])
        batch[keys.batch_index_key(name)] = torch.repeat_interleave(torch.arange(len(samples)), lengths)
        for item in items:
            parts = [s[item] for s in samples]
            if item in _GEOMETRY_INDICES and geometry_offsets is not None:
                parts = [p + geometry_offsets[i] for i, p in enumerate(parts)]
            batch[item] = torch.cat(parts, dim=0)
        claimed.update(items)
    for key in samples[0]:
        if key not in claimed:
            batch[key] = _stack(samples, key)
    return batch


def _batched(columns: Mapping[str, Any], items: Sequence[str]) -> bool:
    return all(isinstance(columns[item], torch.Tensor) for item in items)


def _set_samples(columns: Mapping[str, Any], items: Sequence[str], size: int) -> list[dict[str, Any]]:
    """The items of one point set as per-sample dicts (with ``index`` where the batch has it, for messages)."""
    extra = ("index",) if "index" in columns else ()
    return [{key: columns[key][i] for key in (*extra, *items)} for i in range(size)]


def _stack_column(key: str, column: Any) -> Any:
    """A non-point column stacked as :func:`_stack` stacks the samples' values."""
    if isinstance(column, torch.Tensor):
        return owned(column)
    if isinstance(column, BatchIndices):
        return column.tensor  # the batch's one index tensor (as default_collate of the ints would make)
    return _stack([{key: value} for value in column], key)


def pad_columns(batch: SampleBatch) -> dict[str, Any]:
    """:func:`pad_batch` of a column-wise batch: a point set of batched columns is its own padding."""
    columns = batch.columns
    size = batch.size
    out: dict[str, Any] = {}
    claimed: set[str] = set()
    for name, items in point_set_members(batch[0]).items():
        if _batched(columns, items):
            out[mask_key(name)] = torch.ones((size, int(columns[items[0]].shape[1])), dtype=torch.bool)
            for item in items:
                out[item] = owned(columns[item])
        else:
            _pad_set(out, name, items, _set_samples(columns, items, size))
        claimed.update(items)
    for key, column in columns.items():
        if key not in claimed:
            out[key] = _stack_column(key, column)
    return out


def _lengths(column: Any, size: int) -> torch.Tensor:
    if isinstance(column, torch.Tensor):
        return torch.full((size,), int(column.shape[1]), dtype=torch.int64)
    return torch.tensor([int(v.shape[0]) for v in column])


def concat_columns(batch: SampleBatch) -> dict[str, Any]:
    """:func:`concat_batch` of a column-wise batch: a point set of batched columns concatenates by a reshape."""
    columns = batch.columns
    size = batch.size
    out: dict[str, Any] = {}
    claimed: set[str] = set()
    geometry_offsets = None
    if keys.GEOMETRY_POSITION in columns:
        counts = _lengths(columns[keys.GEOMETRY_POSITION], size)
        geometry_offsets = torch.cumsum(counts, 0) - counts
    for name, items in point_set_members(batch[0]).items():
        lengths = _lengths(columns[items[0]], size)
        out[keys.batch_index_key(name)] = torch.repeat_interleave(torch.arange(size), lengths)
        batched = _batched(columns, items)
        for item in items:
            column = columns[item]
            offset = item in _GEOMETRY_INDICES and geometry_offsets is not None
            if batched:
                if offset:
                    assert geometry_offsets is not None
                    column = column + geometry_offsets.view(size, *([1] * (column.dim() - 1)))
                else:
                    column = owned(column)
                out[item] = column.reshape(size * int(column.shape[1]), *column.shape[2:])
            else:
                parts = [column[i] for i in range(size)]
                if offset:
                    assert geometry_offsets is not None
                    parts = [p + geometry_offsets[i] for i, p in enumerate(parts)]
                out[item] = torch.cat(parts, dim=0)
        claimed.update(items)
    for key, column in columns.items():
        if key not in claimed:
            out[key] = _stack_column(key, column)
    return out


def concat_to_padded(
    values: torch.Tensor, batch_index: torch.Tensor, batch_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenated ``(N_total, ...)`` values with their batch index to padded ``(B, N_max, ...)`` and a mask.

    Points of one sample keep their order; the batch index must be sorted (as :func:`concat_batch` makes it).
    """
    counts = torch.bincount(batch_index, minlength=batch_size)
    longest = int(counts.max()) if counts.numel() else 0
    starts = torch.cumsum(counts, 0) - counts
    position = torch.arange(len(batch_index), device=batch_index.device) - starts[batch_index]
    out = values.new_zeros((batch_size, longest, *values.shape[1:]))
    out[batch_index, position] = values
    mask = torch.zeros((batch_size, longest), dtype=torch.bool, device=values.device)
    mask[batch_index, position] = True
    return out, mask


def padded_to_concat(values: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded ``(B, N, ...)`` values and their mask to concatenated ``(N_total, ...)`` and a batch index."""
    batch_index = torch.arange(mask.shape[0], device=mask.device).unsqueeze(1).expand_as(mask)[mask]
    return values[mask], batch_index


class CfdCollator(Collator):
    """Collate CFD samples by padding (the models' layout) or concatenation (see :class:`CfdCollatorConfig`)."""

    def __init__(self, config: CfdCollatorConfig | None = None) -> None:
        self.config = config or CfdCollatorConfig()
        self.items = None

    def collate(self, samples: Sequence[Mapping[str, Any]], keys_: Sequence[str]) -> dict[str, Any]:
        """Collate ``samples`` (``keys_`` is every key: this collator takes the whole sample)."""
        subset = [{k: s[k] for k in keys_} for s in samples]
        return pad_batch(subset) if self.config.mode == "pad" else concat_batch(subset)

    def collate_columns(self, batch: SampleBatch, keys_: Sequence[str]) -> dict[str, Any]:
        """Collate a column-wise batch by column (the values of :meth:`collate` on its samples)."""
        view = SampleBatch({k: batch.columns[k] for k in keys_}, batch.size)
        if not len(view):
            return {}
        return pad_columns(view) if self.config.mode == "pad" else concat_columns(view)

    def output_keys(self, key: str) -> tuple[str, ...]:
        """The key itself (masks and batch indices are added per point set)."""
        return (key,)
