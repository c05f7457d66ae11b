"""Datasets and a wrapper for the ``noether stats`` property-selection tests (named by class path in configs)."""

from __future__ import annotations

from typing import Any

import attrs
import torch

from noether.core.schemas import DatasetBaseConfig
from noether.core.schemas._base import Schema
from noether.data.dataset import Dataset
from noether.data.wrappers import DatasetWrapper


@attrs.frozen(kw_only=True)
class BrokenYConfig(DatasetBaseConfig):
    """Config of :class:`BrokenY`."""

    kind: str = "tests.data.stats_toys.BrokenY"
    #: Whether ``y`` fails to load.
    broken: bool = True


class BrokenY(Dataset):
    """``x`` loads, ``y`` cannot (think of a large field whose files are missing): statistics of ``x`` alone
    must not load ``y``."""

    config_class = BrokenYConfig

    def __len__(self) -> int:
        return 6

    def getitem_x(self, idx: int) -> torch.Tensor:
        """Two features."""
        return torch.tensor([float(idx), 2.0 * idx])

    def getitem_y(self, idx: int) -> torch.Tensor:
        """Fails for every sample when the config says it is broken."""
        if self.config.broken:
            raise FileNotFoundError(f"y of sample {idx} is missing")
        return torch.zeros(1)

    def getitem_w(self, idx: int) -> torch.Tensor:
        """One feature."""
        return torch.tensor([1.0 + idx])


@attrs.frozen(kw_only=True)
class DerivedZConfig(Schema):
    """Config of :class:`DerivedZ`."""

    kind: str = "tests.data.stats_toys.DerivedZ"


class DerivedZ(DatasetWrapper):
    """Adds ``z = 10 * w`` to every sample: a wrapper of a user's own that derives a key from another."""

    config_class = DerivedZConfig

    def __getitem__(self, idx: int) -> dict[str, Any]:
        sample = dict(self.dataset[idx])
        sample["z"] = 10 * sample["w"]
        return sample
