"""Real CFD stores for the batched-path tests, and the per-sample reference datasets and model named by path.

:func:`write_ellipsoid_store` writes exact ellipsoid flows into a store with the plugin's own converter,
optionally with a different number of points per sample (``ragged``). :class:`PerSampleCfdStore` is the store
dataset without batch loaders (the per-sample path, the reference); :class:`CountingCfdStore` is the batched
one, counting its batch loads so that a run can prove it took the batched path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import attrs
import numpy as np
import torch
from noether_cfd.data.ellipsoid_dataset import EllipsoidFlowDataset
from noether_cfd.data.ellipsoid_generate import EllipsoidSettings, generate_sample
from noether_cfd.data.icosphere import icosphere
from noether_cfd.data.store import convert_samples
from noether_cfd.data.store_dataset import CfdStoreDataset

from noether.core.models.base import Model
from noether.core.schemas.models import ModelBaseConfig

#: Fields of the ellipsoid samples that are no store field of the CFD datasets (body parameters).
_NOT_STORED = ("semi_axes", "rotation")


def write_ellipsoid_store(root: Path, count: int, *, ragged: bool, subdivisions: int = 2,
                          volume_points: int = 96) -> Path:
    """A store of ``count`` ellipsoid flows (``subdivisions=2``: 162 surface points), split 3/4 train.

    With ``ragged``, sample ``i`` keeps ``162 - 9 i`` surface and ``volume_points - 5 i`` volume points (a
    random subset: the converter stores points shuffled), so batches have samples of different sizes.
    """
    settings = EllipsoidSettings(subdivisions=subdivisions, num_volume_points=volume_points, seed=3)
    sphere = icosphere(subdivisions)
    ids = [f"ellipsoid_{i:03d}" for i in range(count)]

    def read(sample_id: str) -> dict[str, np.ndarray]:
        i = ids.index(sample_id)
        arrays = {k: v for k, v in generate_sample(settings, "train", i, sphere).items() if k not in _NOT_STORED}
        if ragged:
            cut = {"surface": len(arrays["surface_position"]) - 9 * i,
                   "volume": len(arrays["volume_position"]) - 5 * i}
            arrays = {k: v[: cut[k.split("_")[0]]] if k.split("_")[0] in cut else v for k, v in arrays.items()}
        return arrays

    train = count * 3 // 4
    convert_samples(root, ids, read, splits={"train": ids[:train], "test": ids[train:]}, seed=5, progress=False)
    return root


class PerSampleCfdStore(CfdStoreDataset):
    """The store read sample by sample: no batch loaders (the DataLoader gets a list of sample dicts)."""


for _name in dir(CfdStoreDataset):
    if _name.startswith("getitems_"):
        setattr(PerSampleCfdStore, _name, None)  # not callable: the core then has no batch loader for it


class PerSampleEllipsoidFlows(EllipsoidFlowDataset):
    """The in-memory ellipsoid flows without batch loaders (the per-sample reference)."""


for _name in dir(EllipsoidFlowDataset):
    if _name.startswith("getitems_"):
        setattr(PerSampleEllipsoidFlows, _name, None)


class CountingCfdStore(CfdStoreDataset):
    """The batched store, recording the size of every batch it loads (``getitems_surface_position`` calls)."""

    #: Batch sizes loaded by any instance in this process.
    batch_sizes: ClassVar[list[int]] = []

    def load_fields(self, indices: list[int], name: str) -> Any:
        """The store's batch read, counted once per batch."""
        if name == "surface_position":
            CountingCfdStore.batch_sizes.append(len(indices))
        return super().load_fields(indices, name)


@attrs.frozen(kw_only=True)
class EllipsoidPointMLPConfig(ModelBaseConfig):
    """A point-wise MLP on ``[position, conditions]`` (6 conditions: semi-axes and body-frame stream)."""

    hidden_dim: int = 16


class EllipsoidPointMLP(Model):
    """Predicts ``surface_pressure`` and ``volume_velocity`` point by point (padding cannot leak)."""

    config_class = EllipsoidPointMLPConfig

    def __init__(self, config: EllipsoidPointMLPConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        h = config.hidden_dim
        self.surface = torch.nn.Sequential(torch.nn.Linear(9, h), torch.nn.GELU(), torch.nn.Linear(h, 1))
        self.volume = torch.nn.Sequential(torch.nn.Linear(9, h), torch.nn.GELU(), torch.nn.Linear(h, 3))

    def forward(self, surface_position: torch.Tensor, volume_position: torch.Tensor, conditions: torch.Tensor,
                **_: Any) -> dict[str, torch.Tensor]:
        """Per-point predictions ``(B, S, 1)`` and ``(B, V, 3)``."""
        def with_conditions(x: torch.Tensor) -> torch.Tensor:
            return torch.cat([x, conditions[:, None, :].expand(*x.shape[:2], conditions.shape[-1])], dim=-1)

        return {"surface_pressure": self.surface(with_conditions(surface_position)),
                "volume_velocity": self.volume(with_conditions(volume_position))}
