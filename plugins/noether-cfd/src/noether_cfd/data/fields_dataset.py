"""The base of the CFD datasets that serve whatever fields their samples have, at full resolution.

A subclass provides ``available_fields`` (the names present in every sample) and ``load_field(idx, name)``.
Only properties whose field is available are properties of the dataset (``dataset.properties``), so a
data set without wall shear simply has no ``surface_wallshear``. Every property can be normalized by a
normalizer of its key; none is required (statistics come from ``noether stats``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from noether.data.dataset import Dataset, with_normalizers
from noether_cfd import batch as keys


def as_tensor(values: Any) -> torch.Tensor:
    """A float32 tensor of an array (memory maps are copied: their pages are read only here)."""
    array = np.asarray(values)
    return torch.from_numpy(np.array(array, dtype=np.float32 if array.dtype.kind == "f" else array.dtype))


class CfdFieldsDataset(Dataset):
    """Per-sample full-resolution arrays: positions, normals, areas, fields, conditions, coefficients."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    @property
    def available_fields(self) -> frozenset[str]:
        """Fields every sample has."""
        raise NotImplementedError

    def load_field(self, idx: int, name: str) -> torch.Tensor:
        """One field of sample ``idx``."""
        raise NotImplementedError

    @property
    def properties(self) -> tuple[str, ...]:
        """The properties whose field the samples have (sorted)."""
        available = self.available_fields
        return tuple(p for p in super().properties if p in available)

    @with_normalizers(required=False)
    def getitem_surface_position(self, idx: int) -> torch.Tensor:
        """Surface points ``(S, 3)``."""
        return self.load_field(idx, keys.SURFACE_POSITION)

    @with_normalizers(required=False)
    def getitem_surface_normal(self, idx: int) -> torch.Tensor:
        """Outward unit normals ``(S, 3)``."""
        return self.load_field(idx, keys.SURFACE_NORMAL)

    @with_normalizers(required=False)
    def getitem_surface_area(self, idx: int) -> torch.Tensor:
        """Area of each surface point ``(S,)`` (sums are surface integrals)."""
        return self.load_field(idx, keys.SURFACE_AREA)

    @with_normalizers(required=False)
    def getitem_surface_pressure(self, idx: int) -> torch.Tensor:
        """Surface pressure ``(S, 1)``."""
        return self.load_field(idx, keys.SURFACE_PRESSURE)

    @with_normalizers(required=False)
    def getitem_surface_wallshear(self, idx: int) -> torch.Tensor:
        """Wall shear stress ``(S, 3)``."""
        return self.load_field(idx, keys.SURFACE_WALLSHEAR)

    @with_normalizers(required=False)
    def getitem_volume_position(self, idx: int) -> torch.Tensor:
        """Volume points ``(V, 3)``."""
        return self.load_field(idx, keys.VOLUME_POSITION)

    @with_normalizers(required=False)
    def getitem_volume_velocity(self, idx: int) -> torch.Tensor:
        """Velocity ``(V, 3)``."""
        return self.load_field(idx, keys.VOLUME_VELOCITY)

    @with_normalizers(required=False)
    def getitem_volume_pressure(self, idx: int) -> torch.Tensor:
        """Volume pressure ``(V, 1)``."""
        return self.load_field(idx, keys.VOLUME_PRESSURE)

    @with_normalizers(required=False)
    def getitem_conditions(self, idx: int) -> torch.Tensor:
        """Per-sample scalars ``(C,)`` (design parameters, inflow)."""
        return self.load_field(idx, keys.CONDITIONS)

    def getitem_force_coefficients(self, idx: int) -> torch.Tensor:
        """The data set's integrated force/moment coefficients ``(K,)`` (its CSV's column order)."""
        return self.load_field(idx, "force_coefficients")
