"""``noether.data.airfoil.AirfoilDataset``: one Joukowski airfoil at one angle of attack per sample.

Properties (shapes per sample; ``S`` surface points, ``V`` volume points; float32):

* ``surface_position`` ``(S, 2)``: points on the surface, counter-clockwise from the trailing edge, equally
  spaced in the angle of the generating circle;
* ``surface_normal`` ``(S, 2)``: outward unit normals; ``surface_velocity`` ``(S, 2)``: ``(u, v)``;
* ``surface_pressure`` ``(S, 1)``: pressure coefficient ``C_p``;
* ``volume_position``, ``volume_velocity`` ``(V, 2)`` and ``volume_pressure`` ``(V, 1)``: the flow around it;
* ``conditioning`` ``(1, 3)``: thickness/chord, camber/chord, angle of attack in degrees (a row, so that
  statistics are per parameter and it broadcasts against points);
* ``lift_coefficient`` ``(1,)``.

Every property can be normalized by a normalizer of the same key; none is required.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from noether.data.airfoil.generate import GenerationSettings, ensure_generated
from noether.data.airfoil.schemas import AirfoilDatasetConfig
from noether.data.dataset import Dataset, with_normalizers


class AirfoilDataset(Dataset):
    """One split of the generated airfoil flows, held in memory (a few MB)."""

    config_class: ClassVar[type] = AirfoilDatasetConfig

    def __init__(self, config: AirfoilDatasetConfig) -> None:
        super().__init__(config)
        settings = GenerationSettings(
            train_size=config.train_size,
            val_size=config.val_size,
            test_size=config.test_size,
            num_surface_points=config.num_surface_points,
            num_volume_points=config.num_volume_points,
        )
        #: The folder of the generated data (shared by every split).
        self.directory: Path = ensure_generated(config.root, settings)
        with np.load(self.directory / f"{config.split}.npz", allow_pickle=False) as data:
            self.arrays: dict[str, torch.Tensor] = {key: torch.from_numpy(data[key]) for key in data.files}
        self._length = int(self.arrays["conditioning"].shape[0])

    def __len__(self) -> int:
        return self._length

    def _get(self, key: str, idx: int) -> Any:
        # A view into the split's tensor; nothing downstream modifies tensors in place.
        return self.arrays[key][idx]

    @with_normalizers(required=False)
    def getitem_surface_position(self, idx: int) -> torch.Tensor:
        """Surface points ``(S, 2)``."""
        return self._get("surface_position", idx)

    @with_normalizers(required=False)
    def getitem_surface_normal(self, idx: int) -> torch.Tensor:
        """Outward unit normals ``(S, 2)``."""
        return self._get("surface_normal", idx)

    @with_normalizers(required=False)
    def getitem_surface_velocity(self, idx: int) -> torch.Tensor:
        """Velocity at the surface ``(S, 2)`` (tangential: the surface is a streamline)."""
        return self._get("surface_velocity", idx)

    @with_normalizers(required=False)
    def getitem_surface_pressure(self, idx: int) -> torch.Tensor:
        """Pressure coefficient at the surface ``(S, 1)``."""
        return self._get("surface_pressure", idx)

    @with_normalizers(required=False)
    def getitem_volume_position(self, idx: int) -> torch.Tensor:
        """Points around the airfoil ``(V, 2)``."""
        return self._get("volume_position", idx)

    @with_normalizers(required=False)
    def getitem_volume_velocity(self, idx: int) -> torch.Tensor:
        """Velocity ``(u, v)`` at the volume points ``(V, 2)``."""
        return self._get("volume_velocity", idx)

    @with_normalizers(required=False)
    def getitem_volume_pressure(self, idx: int) -> torch.Tensor:
        """Pressure coefficient at the volume points ``(V, 1)``."""
        return self._get("volume_pressure", idx)

    @with_normalizers(required=False)
    def getitem_conditioning(self, idx: int) -> torch.Tensor:
        """``[[thickness, camber, angle of attack in degrees]]`` ``(1, 3)``."""
        return self._get("conditioning", idx)

    @with_normalizers(required=False)
    def getitem_lift_coefficient(self, idx: int) -> torch.Tensor:
        """Lift coefficient ``(1,)`` (reference chord 1)."""
        return self._get("lift_coefficient", idx)
