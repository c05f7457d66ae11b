"""An in-memory regression dataset for the benchmarks (named by class path in their configs)."""

from __future__ import annotations

from typing import Any

import attrs
import torch

from noether.core.schemas import DatasetBaseConfig
from noether.data.dataset import Dataset


@attrs.frozen(kw_only=True)
class RandomRegressionConfig(DatasetBaseConfig):
    """``size`` samples of ``dim`` inputs and one target."""

    size: int = 6400
    dim: int = 64
    seed: int = 0


def make_tensors(size: int, dim: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The same inputs and targets for every contender."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(size, dim, generator=g)
    y = torch.sin(x.sum(dim=1, keepdim=True))
    return x, y


class RandomRegression(Dataset):
    """Properties ``x`` and ``y``."""

    config_class = RandomRegressionConfig

    def __init__(self, config: RandomRegressionConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.x, self.y = make_tensors(config.size, config.dim, config.seed)

    def __len__(self) -> int:
        return len(self.x)

    def getitem_x(self, idx: int) -> torch.Tensor:
        """Input."""
        return self.x[idx]

    def getitem_y(self, idx: int) -> torch.Tensor:
        """Target."""
        return self.y[idx]
