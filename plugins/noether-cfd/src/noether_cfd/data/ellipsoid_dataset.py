"""``noether_cfd.EllipsoidFlowDataset``: exact potential flow past one random ellipsoid per sample.

Properties (per sample, float32; ``S`` surface points, ``V`` volume points; world frame, stream ``(1, 0, 0)``):

* ``surface_position`` ``(S, 3)``, ``surface_normal`` ``(S, 3)`` (outward, exact), ``surface_area`` ``(S,)``
  (a third of the adjacent triangles' areas: sums over the points are surface integrals);
* ``surface_pressure`` ``(S, 1)``: the pressure coefficient; ``surface_velocity`` ``(S, 3)`` (tangential);
* ``volume_position`` ``(V, 3)``, ``volume_velocity`` ``(V, 3)``, ``volume_pressure`` ``(V, 1)`` (``C_p``);
* ``conditions`` ``(6,)``: the semi-axes and the stream in the body frame;
* ``moment`` ``(3,)``: the exact Munk moment (density 1, unit stream), world frame.

The surface triangles (the same for every sample) are :attr:`EllipsoidFlowDataset.triangles`; the body of a
sample is :meth:`EllipsoidFlowDataset.body`. Every property can be normalized by a normalizer of its key.

Every property also has a batch loader ``getitems_<property>``: the samples are in memory, so a batch of a
property is one gather ``(batch, ...)`` (see :mod:`noether.data.batch`), normalized as its samples are.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from noether.data.arrays import gather_rows
from noether.data.dataset import Dataset, with_normalizers
from noether_cfd import batch as keys
from noether_cfd.data.ellipsoid_generate import EllipsoidSettings, ensure_generated
from noether_cfd.data.mesh import Mesh
from noether_cfd.data.schemas import EllipsoidFlowDatasetConfig


def settings_of(config: EllipsoidFlowDatasetConfig) -> EllipsoidSettings:
    """The generation settings a config names."""
    return EllipsoidSettings(
        train_size=config.train_size, val_size=config.val_size, test_size=config.test_size,
        subdivisions=config.subdivisions, num_volume_points=config.num_volume_points, box=config.box,
        major_axis=(float(config.major_axis[0]), float(config.major_axis[1])),
        minor_axes=(float(config.minor_axes[0]), float(config.minor_axes[1])), seed=config.seed,
    )


class EllipsoidFlowDataset(Dataset):
    """One split of the generated ellipsoid flows, held in memory."""

    config_class: ClassVar[type] = EllipsoidFlowDatasetConfig

    def __init__(self, config: EllipsoidFlowDatasetConfig) -> None:
        super().__init__(config)
        #: The folder of the generated data (shared by every split).
        self.directory: Path = ensure_generated(config.root, settings_of(config))
        with np.load(self.directory / f"{config.split}.npz", allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        #: ``(F, 3)`` int64 surface triangles, indices into ``surface_position`` (same for every sample).
        self.triangles: np.ndarray = arrays.pop("triangles")
        self._axes = arrays.pop("semi_axes")
        self._rotations = arrays.pop("rotation")
        self.arrays: dict[str, torch.Tensor] = {key: torch.from_numpy(value) for key, value in arrays.items()}
        self._length = int(self._axes.shape[0])

    def __len__(self) -> int:
        return self._length

    def body(self, idx: int) -> tuple[np.ndarray, np.ndarray]:
        """Semi-axes ``(3,)`` and body-to-world rotation ``(3, 3)`` of sample ``idx`` (float64)."""
        return self._axes[idx], self._rotations[idx]

    def mesh(self, idx: int) -> Mesh:
        """The surface of sample ``idx`` as a mesh (raw positions, shared triangles), e.g. to write results on."""
        return Mesh(points=self.arrays[keys.SURFACE_POSITION][idx].double().numpy(), triangles=self.triangles)

    @with_normalizers(required=False)
    def getitem_surface_position(self, idx: int) -> torch.Tensor:
        """Surface points ``(S, 3)``."""
        return self.arrays[keys.SURFACE_POSITION][idx]

    @with_normalizers(required=False)
    def getitem_surface_normal(self, idx: int) -> torch.Tensor:
        """Outward unit normals ``(S, 3)``."""
        return self.arrays[keys.SURFACE_NORMAL][idx]

    @with_normalizers(required=False)
    def getitem_surface_area(self, idx: int) -> torch.Tensor:
        """Area per surface point ``(S,)``."""
        return self.arrays[keys.SURFACE_AREA][idx]

    @with_normalizers(required=False)
    def getitem_surface_pressure(self, idx: int) -> torch.Tensor:
        """Pressure coefficient on the surface ``(S, 1)``."""
        return self.arrays[keys.SURFACE_PRESSURE][idx]

    @with_normalizers(required=False)
    def getitem_surface_velocity(self, idx: int) -> torch.Tensor:
        """Velocity at the surface ``(S, 3)`` (tangential)."""
        return self.arrays["surface_velocity"][idx]

    @with_normalizers(required=False)
    def getitem_volume_position(self, idx: int) -> torch.Tensor:
        """Volume points ``(V, 3)`` outside the body."""
        return self.arrays[keys.VOLUME_POSITION][idx]

    @with_normalizers(required=False)
    def getitem_volume_velocity(self, idx: int) -> torch.Tensor:
        """Velocity at the volume points ``(V, 3)``."""
        return self.arrays[keys.VOLUME_VELOCITY][idx]

    @with_normalizers(required=False)
    def getitem_volume_pressure(self, idx: int) -> torch.Tensor:
        """Pressure coefficient at the volume points ``(V, 1)``."""
        return self.arrays[keys.VOLUME_PRESSURE][idx]

    @with_normalizers(required=False)
    def getitem_conditions(self, idx: int) -> torch.Tensor:
        """Semi-axes and the body-frame stream ``(6,)``."""
        return self.arrays[keys.CONDITIONS][idx]

    def getitem_moment(self, idx: int) -> torch.Tensor:
        """Exact Munk moment ``(3,)`` (density 1, unit stream), world frame."""
        return self.arrays["moment"][idx]


def _batch_loader(prop: str, single: Callable[..., Any]) -> Callable[[Any, list[int]], torch.Tensor]:
    """The ``getitems_<prop>`` of ``getitem_<prop>``: one gather of the in-memory array, normalized alike."""

    def getitems(self: EllipsoidFlowDataset, indices: list[int]) -> torch.Tensor:
        return gather_rows(self.arrays[prop], indices)

    getitems.__name__ = getitems.__qualname__ = f"getitems_{prop}"
    getitems.__doc__ = f"{(single.__doc__ or prop).rstrip('.')} of a batch ``(batch, ...)``."
    key = getattr(single, "normalization_key", None)
    if key is None:
        return getitems
    loader: Callable[[Any, list[int]], torch.Tensor] = with_normalizers(
        key, required=bool(getattr(single, "normalizer_required", True)))(getitems)
    return loader


for _name in [n for n in vars(EllipsoidFlowDataset) if n.startswith("getitem_")]:
    _prop = _name[len("getitem_"):]
    setattr(EllipsoidFlowDataset, f"getitems_{_prop}", _batch_loader(_prop, getattr(EllipsoidFlowDataset, _name)))
del _name, _prop
