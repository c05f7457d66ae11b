"""Small datasets for the data tests (named by class path in configs)."""

from __future__ import annotations

import attrs
import torch

from noether.core.schemas import DatasetBaseConfig
from noether.data.dataset import Dataset, with_normalizers


@attrs.frozen(kw_only=True)
class ArraysConfig(DatasetBaseConfig):
    """``size`` samples of points ``(points, 2)`` and a scalar target."""

    size: int = 10
    points: int = 6
    #: Sample index whose ``broken`` property raises.
    broken_index: int = -1


class ArraysDataset(Dataset):
    """Deterministic arrays; ``x`` requires a normalizer key 'x', ``y`` has an optional one, ``raw`` none."""

    config_class = ArraysConfig

    def __init__(self, config: ArraysConfig) -> None:
        super().__init__(config)
        g = torch.Generator().manual_seed(7)
        self.x = torch.randn(config.size, config.points, 2, generator=g) * 3 + 1
        self.y = torch.rand(config.size, 1, generator=g)
        self.raw = torch.arange(config.size, dtype=torch.float32)

    def __len__(self) -> int:
        return len(self.x)

    @with_normalizers
    def getitem_x(self, idx: int) -> torch.Tensor:
        return self.x[idx]

    @with_normalizers(required=False)
    def getitem_y(self, idx: int) -> torch.Tensor:
        return self.y[idx]

    def getitem_raw(self, idx: int) -> torch.Tensor:
        return self.raw[idx]


class PlainDataset(Dataset):
    """No normalized properties; ``broken`` fails at ``config.broken_index``."""

    config_class = ArraysConfig

    def __init__(self, config: ArraysConfig) -> None:
        super().__init__(config)
        self.values = torch.arange(config.size * config.points, dtype=torch.float32).reshape(config.size, -1, 1)

    def __len__(self) -> int:
        return len(self.values)

    def getitem_points(self, idx: int) -> torch.Tensor:
        return self.values[idx]

    def getitem_broken(self, idx: int) -> torch.Tensor:
        if idx == self.config.broken_index:  # type: ignore[attr-defined]
            raise ValueError("corrupt record")
        return torch.zeros(1)


ARRAYS = "tests.data.toys.ArraysDataset"
PLAIN = "tests.data.toys.PlainDataset"
MEAN_STD = "noether.data.preprocessors.normalizers.MeanStdNormalization"
