"""A tiny CFD-like dataset and a point-wise model for the CFD plugin's engine tests (named by class path).

Samples are spheres of different radii and point counts: surface pressure ``p = a x`` and volume velocity
``u = a x``, with ``a`` the sample's condition, so that a point-wise MLP can learn them in a few updates.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import torch

from noether.core.models.base import Model
from noether.core.schemas import DatasetBaseConfig
from noether.core.schemas.models import ModelBaseConfig
from noether.data.dataset import Dataset, with_normalizers


@attrs.frozen(kw_only=True)
class ToySpheresConfig(DatasetBaseConfig):
    """``size`` spheres; sample ``i`` has ``base_points + 7 i`` surface points."""

    size: int = 8
    base_points: int = 60
    offset: int = 0


class ToySpheres(Dataset):
    """Surface points (positions, normals, areas, pressure), volume points (velocity) and one condition."""

    config_class = ToySpheresConfig

    def __init__(self, config: ToySpheresConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.samples = [self._make(config.offset + i, config.base_points + 7 * i) for i in range(config.size)]

    @staticmethod
    def _make(seed: int, n: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng(seed)
        radius = 0.5 + rng.random()
        a = 1.0 + rng.random()
        direction = rng.normal(size=(n, 3))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        surface = direction * radius
        volume = rng.normal(size=(n // 2, 3)) * 2
        t = lambda x: torch.as_tensor(np.asarray(x), dtype=torch.float32)  # noqa: E731
        return {
            "surface_position": t(surface), "surface_normal": t(direction),
            "surface_area": t(np.full(n, 4 * np.pi * radius**2 / n)), "surface_pressure": t(a * surface[:, :1]),
            "volume_position": t(volume), "volume_velocity": t(a * volume), "conditions": t([a]),
        }

    def __len__(self) -> int:
        return len(self.samples)

    def getitem_surface_position(self, i: int) -> torch.Tensor:
        return self.samples[i]["surface_position"]

    def getitem_surface_normal(self, i: int) -> torch.Tensor:
        return self.samples[i]["surface_normal"]

    def getitem_surface_area(self, i: int) -> torch.Tensor:
        return self.samples[i]["surface_area"]

    @with_normalizers(required=False)
    def getitem_surface_pressure(self, i: int) -> torch.Tensor:
        return self.samples[i]["surface_pressure"]

    def getitem_volume_position(self, i: int) -> torch.Tensor:
        return self.samples[i]["volume_position"]

    @with_normalizers(required=False)
    def getitem_volume_velocity(self, i: int) -> torch.Tensor:
        return self.samples[i]["volume_velocity"]

    def getitem_conditions(self, i: int) -> torch.Tensor:
        return self.samples[i]["conditions"]


@attrs.frozen(kw_only=True)
class PointMLPConfig(ModelBaseConfig):
    """A point-wise MLP on ``[position, conditions]`` with one head per field."""

    hidden_dim: int = 32


class PointMLP(Model):
    """Predicts ``surface_pressure`` and ``volume_velocity`` point by point (so padding cannot leak)."""

    config_class = PointMLPConfig

    def __init__(self, config: PointMLPConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        h = config.hidden_dim
        self.surface = torch.nn.Sequential(torch.nn.Linear(4, h), torch.nn.GELU(), torch.nn.Linear(h, 1))
        self.volume = torch.nn.Sequential(torch.nn.Linear(4, h), torch.nn.GELU(), torch.nn.Linear(h, 3))

    def forward(self, surface_position: torch.Tensor, volume_position: torch.Tensor, conditions: torch.Tensor,
                **_: Any) -> dict[str, torch.Tensor]:
        def with_conditions(x: torch.Tensor) -> torch.Tensor:
            return torch.cat([x, conditions[:, None, :].expand(*x.shape[:2], conditions.shape[-1])], dim=-1)

        return {"surface_pressure": self.surface(with_conditions(surface_position)),
                "volume_velocity": self.volume(with_conditions(volume_position))}


def toy_run_config(output_path: str, **trainer: Any) -> dict[str, Any]:
    """A complete config: ToySpheres train/test, PointMLP, CfdTrainer, the CFD metrics callback."""
    pipeline = {"kind": "noether.data.Pipeline",
                "sample_processors": [{"kind": "noether_cfd.SurfaceVolumeSampling", "surface_points": 40,
                                       "volume_points": 25}],
                "collators": [{"kind": "noether_cfd.CfdCollator"}]}
    test_pipeline = {"kind": "noether_cfd.CfdCollator"}  # full resolution, different sizes per batch
    mean_std = "noether.data.preprocessors.normalizers.MeanStdNormalization"
    normalizers = {"surface_pressure": {"kind": mean_std, "mean": [0.0], "std": [0.5]},
                   "volume_velocity": {"kind": mean_std, "mean": [0.0, 0.0, 0.0], "std": [2.0, 2.0, 2.0]}}
    data: dict[str, Any] = {
        "output_path": output_path, "store_code_in_output": False, "seed": 1,
        "datasets": {
            "train": {"kind": "tests.cfd.cfd_toy.ToySpheres", "size": 8, "pipeline": pipeline,
                      "normalizers": normalizers},
            "test": {"kind": "tests.cfd.cfd_toy.ToySpheres", "size": 5, "offset": 100, "pipeline": test_pipeline,
                     "normalizers": normalizers},
        },
        "model": {"kind": "tests.cfd.cfd_toy.PointMLP", "name": "point_mlp",
                  "optimizer_config": {"kind": "torch.optim.AdamW", "lr": 0.01}},
        "trainer": {
            "kind": "noether_cfd.CfdTrainer", "max_epochs": 3, "effective_batch_size": 4,
            "target_properties": ["surface_pressure", "volume_velocity"],
            "callbacks": [{"name": "CfdMetricsCallback", "dataset_key": "test", "every_n_epochs": 3,
                           "batch_size": 2, "coefficients": ["cf_x", "cm_y"], "baseline_dataset_key": "train"},
                          {"name": "CheckpointCallback", "every_n_epochs": 3}],
        },
    }
    data["trainer"].update(trainer)
    return data
