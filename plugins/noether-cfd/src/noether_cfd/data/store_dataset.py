"""``noether_cfd.CfdStoreDataset``: the samples of a chunked store, reading only what a run asks for.

Each property is read from its own file (one ``pread`` of the rows asked for, see
:meth:`~noether_cfd.data.store.StoreReader.read_rows`); only the properties a run includes are read
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
from noether_cfd.data.store import StoreError, StoreReader, point_set_of


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
        values = self.store.read_rows(self.sample_ids[idx], name, self._rows_of(name))
        # The values of as_tensor(memory map), without its second copy: the array read is fresh.
        if values.dtype.kind == "f":
            return torch.from_numpy(values.astype(np.float32, copy=False))
        return as_tensor(values)

    def load_fields(self, indices: list[int], name: str) -> FieldBatch:
        """Field ``name`` of the samples ``indices``: one tensor ``(batch, ...)`` if their shapes agree.

        Each sample's rows are read once, from its file straight into its row of the batch array (the
        per-sample path reads them into a sample tensor, and the collator copies them again into the batch).
        """
        rows = self._rows_of(name)
        ids = [self.sample_ids[i] for i in indices]
        shapes = {self.store.shape_read(sample_id, name, rows) for sample_id in ids}
        dtypes = {self.store.header(sample_id, name).dtype for sample_id in ids}
        if len(shapes) != 1 or len(dtypes) != 1:
            return [self.load_field(i, name) for i in indices]
        dtype = dtypes.pop()
        # The dtype load_field gives one sample: float32 for every float field.
        out = np.empty((len(ids), *shapes.pop()), np.float32 if dtype.kind == "f" else dtype)
        try:
            for i, sample_id in enumerate(ids):
                self.store.read_rows(sample_id, name, rows, out=out[i])
        except StoreError:
            # A file replaced since its header was read (its header is read again): sample by sample.
            return [self.load_field(i, name) for i in indices]
        return torch.from_numpy(out)
