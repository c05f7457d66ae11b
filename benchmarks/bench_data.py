"""An in-memory regression dataset for the benchmarks (named by class path in their configs)."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import torch

from noether.core.schemas import DatasetBaseConfig
from noether.data.arrays import ArrayDataset

#: Inputs and outputs of the benchmark MLP (32 -> width -> width -> 8).
IN_DIM = 32
OUT_DIM = 8


@attrs.frozen(kw_only=True)
class RandomRegressionConfig(DatasetBaseConfig):
    """``size`` samples of ``dim`` inputs and ``out_dim`` targets."""

    size: int = 6400
    dim: int = IN_DIM
    out_dim: int = OUT_DIM
    seed: int = 0


def make_tensors(
    size: int, dim: int = IN_DIM, seed: int = 0, out_dim: int = OUT_DIM
) -> tuple[torch.Tensor, torch.Tensor]:
    """The same inputs and targets for every contender."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(size, dim, generator=g)
    w = torch.randn(dim, out_dim, generator=g) / dim**0.5
    return x, torch.sin(x @ w)


class RandomRegression(ArrayDataset):
    """Properties ``x`` and ``y``, served by one gather per batch (the batched data path)."""

    config_class = RandomRegressionConfig
    array_properties: ClassVar[dict[str, str]] = {"x": "Input ``(dim,)``.", "y": "Target ``(out_dim,)``."}
    normalize_arrays = False

    def __init__(self, config: RandomRegressionConfig, **kwargs: Any) -> None:
        x, y = make_tensors(config.size, config.dim, config.seed, config.out_dim)
        super().__init__(config, {"x": x, "y": y})


class PerSampleRegression(RandomRegression):
    """The same data loaded sample by sample (no batch loaders), to measure what the batched path saves."""

    getitems_x = None
    getitems_y = None
