"""Loaders of public CFD data sets in the layout they are distributed in (see :mod:`noether_cfd.data.layouts`).

Each reads one simulation's files when a sample is first asked for and keeps the most recent sample, so the
properties of one sample cost one read of its files. With ``store`` set, the raw folder is first converted
into a chunked store there (resumable; see :mod:`noether_cfd.data.store`) and samples are read from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from noether_cfd.data.fields_dataset import CfdFieldsDataset, as_tensor
from noether_cfd.data.layouts import POINT_SETS, CaeMLLayout, Layout, LayoutError, ShapeNetCarLayout, read_csv_row
from noether_cfd.data.schemas import (
    AhmedMLDatasetConfig,
    CaeMLDatasetConfig,
    ShapeNetCarDatasetConfig,
    _PublicCfdDatasetConfig,
)
from noether_cfd.data.store import StoreReader, convert_samples


def needed_point_sets(included: Iterable[str] | None, excluded: Iterable[str] | None) -> tuple[str, ...]:
    """The point sets (``surface``, ``volume``) with at least one selected property."""
    names = [n[len("getitem_"):] for n in dir(CfdFieldsDataset) if n.startswith("getitem_")]
    chosen = [n for n in names if (included is None or n in included) and n not in (excluded or ())]
    return tuple(s for s in POINT_SETS if any(n.startswith(f"{s}_") for n in chosen))


class PublicCfdDataset(CfdFieldsDataset):
    """A split of a public data set read from its raw layout (or from a store made from it)."""

    def __init__(self, config: _PublicCfdDatasetConfig, layout: Layout) -> None:
        super().__init__(config)
        self.layout = layout
        #: The raw data folder.
        self.root = Path(config.root).expanduser()
        if not self.root.is_dir():
            raise LayoutError(f"{self.root}: no such folder; download the {layout.name} data set there (see "
                              "docs/cfd/data.md) or point 'root' at it")
        found = layout.sample_ids(self.root)
        if not found:
            raise LayoutError(f"{self.root}: no simulations in the {layout.name} layout ({layout.description})")
        if config.sample_ids is not None:
            missing = sorted(set(config.sample_ids) - set(found))
            if missing:
                raise LayoutError(f"{self.root}: sample_ids not found: {', '.join(missing[:10])}")
            ids = list(config.sample_ids)
        else:
            ids = layout.split_ids(found, config.split)
        #: The sample ids of the split, in order.
        self.sample_ids: list[str] = ids
        #: The point sets the run's properties need: the files of the others are never read.
        self.point_sets = needed_point_sets(config.included_properties, config.excluded_properties)
        self._store: StoreReader | None = None
        if config.store is not None:
            convert_samples(config.store, found, lambda sid: layout.read(self.root, sid),
                            source=f"{layout.name}:{self.root}")
            self._store = StoreReader(config.store)
        self._cached: tuple[int, dict[str, np.ndarray]] | None = None
        self._fields: frozenset[str] | None = frozenset(self._store.fields) if self._store is not None else None

    def __len__(self) -> int:
        return len(self.sample_ids)

    @property
    def available_fields(self) -> frozenset[str]:
        """Fields of the first sample (every sample of these data sets has the same); read on first use."""
        if self._fields is None:
            self._fields = frozenset(self._sample(0))
        return self._fields

    def _sample(self, idx: int) -> dict[str, np.ndarray]:
        if self._cached is None or self._cached[0] != idx:
            self._cached = (idx, self.layout.read(self.root, self.sample_ids[idx], self.point_sets))
        return self._cached[1]

    def load_field(self, idx: int, name: str) -> torch.Tensor:
        """A field of sample ``idx``."""
        if self._store is not None:
            # One read into a fresh array (the store's direct read): cheaper than opening a memory map.
            return as_tensor(self._store.read_rows(self.sample_ids[idx], name))
        sample = self._sample(idx)
        if name not in sample:
            raise LayoutError(f"{self.root}: sample '{self.sample_ids[idx]}' has no '{name}' (it has "
                              f"{', '.join(sorted(sample))})")
        return as_tensor(sample[name])


class ShapeNetCarDataset(PublicCfdDataset):
    """ShapeNet-Car (889 simulations): surface pressure and volume velocity."""

    config_class: ClassVar[type] = ShapeNetCarDatasetConfig

    def __init__(self, config: ShapeNetCarDatasetConfig) -> None:
        super().__init__(config, ShapeNetCarLayout(keep_unreferenced_points=config.keep_unreferenced_points))


class DrivAerMLDataset(PublicCfdDataset):
    """DrivAerML (500 DrivAer variants, hybrid RANS-LES): surface pressure and wall shear, volume velocity."""

    config_class: ClassVar[type] = CaeMLDatasetConfig

    def __init__(self, config: CaeMLDatasetConfig) -> None:
        super().__init__(config, CaeMLLayout(variant=config.variant, surface_location=config.surface_location,
                                             load_volume=config.load_volume))

    def geometry_path(self, idx: int) -> Path | None:
        """The STL of sample ``idx`` (for ``noether predict``), if the run folder has one."""
        assert isinstance(self.layout, CaeMLLayout)
        return self.layout.files(self.root, self.sample_ids[idx]).get("geometry")


    @property
    def coefficient_names(self) -> list[str]:
        """The column names of ``force_mom_<i>.csv``: what each entry of ``force_coefficients`` is."""
        assert isinstance(self.layout, CaeMLLayout)
        path = self.layout.files(self.root, self.sample_ids[0])["forces"]
        return read_csv_row(path)[0] if path.is_file() else []


class AhmedMLDataset(DrivAerMLDataset):
    """AhmedML (500 Ahmed bodies): the DrivAerML layout."""

    config_class: ClassVar[type] = AhmedMLDatasetConfig
