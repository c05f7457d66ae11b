"""A tiny deterministic regression dataset for engine tests (named by class path in configs)."""

from __future__ import annotations

from typing import Any

import attrs
import torch

from noether.core.schemas import DatasetBaseConfig
from noether.data.dataset import Dataset


@attrs.frozen(kw_only=True)
class ToyConfig(DatasetBaseConfig):
    """``y = sin(x @ w)`` on ``size`` random inputs of ``dim`` features."""

    size: int = 64
    dim: int = 3
    seed: int = 0


class ToyDataset(Dataset):
    """Inputs ``x`` and targets ``y``."""

    config_class = ToyConfig

    def __init__(self, config: ToyConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        g = torch.Generator().manual_seed(config.seed)
        self.x = torch.randn(config.size, config.dim, generator=g)
        w = torch.randn(config.dim, 1, generator=g)
        self.y = torch.sin(self.x @ w)

    def __len__(self) -> int:
        return len(self.x)

    def getitem_x(self, idx: int) -> torch.Tensor:
        return self.x[idx]

    def getitem_y(self, idx: int) -> torch.Tensor:
        return self.y[idx]


from noether.core.models import MLP  # noqa: E402  (after the dataset: the model half of the toys)


class OtherKeyMLP(MLP):
    """An MLP whose output is a dict under a key that is no target (``"z"``)."""

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"z": super().forward(x)}
