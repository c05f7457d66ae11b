"""The base of the CFD datasets that serve whatever fields their samples have, at full resolution.

A subclass provides ``available_fields`` (the names present in every sample) and ``load_field(idx, name)``.
Only properties whose field is available are properties of the dataset (``dataset.properties``), so a
data set without wall shear simply has no ``surface_wallshear``. Every property can be normalized by a
normalizer of its key; none is required (statistics come from ``noether stats``).

:class:`CfdBatchedFieldsDataset` adds a batch loader ``getitems_<property>`` beside every ``getitem_<property>``
(see :mod:`noether.data.batch`): a whole batch of one field is read at once, as one tensor with the batch
first when the samples' arrays have one shape, else as a list with one tensor per sample. A subclass that can
read batches faster than sample by sample overrides :meth:`CfdBatchedFieldsDataset.load_fields`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


#: What a batch loader returns: one tensor ``(batch, ...)``, or one tensor per sample.
FieldBatch = torch.Tensor | list[torch.Tensor]


def stacked_or_list(values: Sequence[torch.Tensor]) -> FieldBatch:
    """``values`` stacked into one tensor if they have one shape (and dtype), else as a list."""
    if values and len({(tuple(v.shape), v.dtype) for v in values}) == 1:
        return torch.stack(list(values))
    return list(values)


def _batch_loader(prop: str, single: Callable[..., Any]) -> Callable[[Any, list[int]], FieldBatch]:
    """The ``getitems_<prop>`` of a ``getitem_<prop>`` of :class:`CfdFieldsDataset`, normalized alike."""

    def getitems(self: CfdBatchedFieldsDataset, indices: list[int]) -> FieldBatch:
        return self.load_fields(indices, prop)

    getitems.__name__ = getitems.__qualname__ = f"getitems_{prop}"
    getitems.__doc__ = f"{(single.__doc__ or prop).rstrip('.')} of a batch (``(batch, ...)`` or one per sample)."
    key: str | None = getattr(single, "normalization_key", None)
    if key is None:
        return getitems
    # The core normalizes a batch in one call and a list (ragged point counts) tensor by tensor.
    return with_normalizers(key, required=bool(getattr(single, "normalizer_required", False)))(getitems)


class CfdBatchedFieldsDataset(CfdFieldsDataset):
    """:class:`CfdFieldsDataset` with a batch loader per property: each field of a batch is read at once.

    The field of property ``<p>`` is named ``<p>`` too. A batch of a field is :meth:`load_fields` of the
    batch's indices, normalized as ``getitem_<p>`` normalizes one sample. Values, dtypes and sample order are
    those of the per-sample getitems; when a batch fails to load, the core loads it again sample by sample,
    so the error names the sample.
    """

    def load_fields(self, indices: list[int], name: str) -> FieldBatch:
        """Field ``name`` of every sample of ``indices``, in order: one tensor when their shapes agree.

        This default calls :meth:`load_field` per sample and stacks; a subclass reads batches its own way.
        """
        return stacked_or_list([self.load_field(i, name) for i in indices])


for _name in dir(CfdFieldsDataset):
    if _name.startswith("getitem_"):
        _prop = _name[len("getitem_"):]
        setattr(CfdBatchedFieldsDataset, f"getitems_{_prop}", _batch_loader(_prop, getattr(CfdFieldsDataset, _name)))
del _name, _prop
