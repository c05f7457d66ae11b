"""``noether_cfd.CfdStoreDataset``: the samples of a chunked store, reading only what a run asks for.

Each property is read from its own file, as a memory map; only the properties a run includes are read
(``included_properties``/``excluded_properties``), and with ``surface_points``/``volume_points`` only the
leading rows of each point set, which the store keeps in random order: a uniform random subset, read in one
contiguous piece.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from noether_cfd.data.fields_dataset import CfdFieldsDataset, as_tensor
from noether_cfd.data.schemas import CfdStoreDatasetConfig
from noether_cfd.data.store import StoreReader, point_set_of


class CfdStoreDataset(CfdFieldsDataset):
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

    def load_field(self, idx: int, name: str) -> torch.Tensor:
        """A field of sample ``idx`` (the leading ``surface_points``/``volume_points`` rows when set)."""
        point_set = point_set_of(name)
        rows = self._rows.get(point_set) if point_set is not None else None
        return as_tensor(self.store.read(self.sample_ids[idx], name, rows))
