"""``noether_cfd.CfdStoreDataset``: the samples of a chunked store, reading only what a run asks for.

Each property is read from its own file, as a memory map; only the properties a run includes are read
(``included_properties``/``excluded_properties``), and with ``surface_points``/``volume_points`` only the
leading rows of each point set, which the store keeps in random order: a uniform random subset, read in one
contiguous piece.

Batches are read field by field (the DataLoader calls ``getitems_<field>`` once per batch, see
:class:`~noether_cfd.data.fields_dataset.CfdBatchedFieldsDataset`): each sample's rows are copied straight
from its file into one batch array, so a field whose samples have one shape (``surface_points`` /
``volume_points`` set and reached by every sample, per-sample fields such as ``conditions``) arrives as one
tensor ``(batch, ...)`` and the CFD pipeline processes and pads it as a whole.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from noether_cfd.data.fields_dataset import CfdBatchedFieldsDataset, FieldBatch, as_tensor
from noether_cfd.data.schemas import CfdStoreDatasetConfig
from noether_cfd.data.store import StoreReader, point_set_of


class CfdStoreDataset(CfdBatchedFieldsDataset):
    """One split of a store written by :func:`noether_cfd.data.store.convert_folder`."""

    config_class: ClassVar[type] = CfdStoreDatasetConfig

    def __init__(self, config: CfdStoreDatasetConfig) -> None:
        super().__init__(config)
        #: The store.
        self.store = StoreReader(config.root)
        #: The sample ids of the split, in order.
        self.sample_ids: list[str] = self.store.split(config.split)
        self._rows = {"surface": config.surface_points, "volume": config.volume_points}
        self._fields = frozenset(self.store.fields)

    def __len__(self) -> int:
        return len(self.sample_ids)

    @property
    def available_fields(self) -> frozenset[str]:
        """Fields of the store."""
        return self._fields

    def _rows_of(self, name: str) -> int | None:
        point_set = point_set_of(name)
        return self._rows.get(point_set) if point_set is not None else None

    def load_field(self, idx: int, name: str) -> torch.Tensor:
        """A field of sample ``idx`` (the leading ``surface_points``/``volume_points`` rows when set)."""
        return as_tensor(self.store.read(self.sample_ids[idx], name, self._rows_of(name)))

    def load_fields(self, indices: list[int], name: str) -> FieldBatch:
        """Field ``name`` of the samples ``indices``: one tensor ``(batch, ...)`` if their shapes agree.

        Each sample's rows are copied once, from its memory map into the batch array (the per-sample path
        copies them into a sample tensor, and the collator copies them again into the padded batch).
        """
        rows = self._rows_of(name)
        arrays = [self.store.read(self.sample_ids[i], name, rows) for i in indices]
        if not arrays or len({(a.shape, a.dtype) for a in arrays}) > 1:
            return [as_tensor(a) for a in arrays]
        first = arrays[0]
        # The dtype as_tensor gives one sample: float32 for every float field.
        out = np.empty((len(arrays), *first.shape), np.float32 if first.dtype.kind == "f" else first.dtype)
        for i, array in enumerate(arrays):
            out[i] = array
        return torch.from_numpy(out)
