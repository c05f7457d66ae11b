"""A sequence-regression Transformer and its data, for the GPU trainer benchmark (named by class path)."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import torch

from noether.core.models.base import Model
from noether.core.schemas import DatasetBaseConfig, ModelBaseConfig
from noether.data.arrays import ArrayDataset


@attrs.frozen(kw_only=True)
class SequenceConfig(DatasetBaseConfig):
    """``size`` random sequences of ``seq`` tokens with ``in_dim`` features and ``out_dim`` targets."""

    kind: str = "benchmarks.bench_models.Sequences"
    size: int = 64
    seq: int = 512
    in_dim: int = 64
    out_dim: int = 16
    seed: int = 0


def make_sequences(config: SequenceConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """The same inputs and targets for both contenders."""
    g = torch.Generator().manual_seed(config.seed)
    x = torch.randn(config.size, config.seq, config.in_dim, generator=g)
    w = torch.randn(config.in_dim, config.out_dim, generator=g) / config.in_dim**0.5
    return x, torch.sin(x @ w)


class Sequences(ArrayDataset):
    """Properties ``x`` ``(seq, in_dim)`` and ``y`` ``(seq, out_dim)``, one gather per batch."""

    config_class = SequenceConfig
    array_properties: ClassVar[dict[str, str]] = {"x": "Input tokens.", "y": "Targets per token."}
    normalize_arrays = False

    def __init__(self, config: SequenceConfig, **kwargs: Any) -> None:
        x, y = make_sequences(config)
        super().__init__(config, {"x": x, "y": y})


@attrs.frozen(kw_only=True)
class TransformerConfig(ModelBaseConfig):
    """A pre-norm Transformer encoder between an input and an output projection."""

    kind: str = "benchmarks.bench_models.SequenceTransformer"
    width: int = 1024
    depth: int = 24
    heads: int = 16
    in_dim: int = 64
    out_dim: int = 16


class SequenceTransformer(Model):
    """``(batch, seq, in_dim) -> (batch, seq, out_dim)``; about ``12 * width**2 * depth`` parameters."""

    config_class = TransformerConfig

    def __init__(self, config: TransformerConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        layer = torch.nn.TransformerEncoderLayer(config.width, config.heads, 4 * config.width, dropout=0.0,
                                                 activation="gelu", batch_first=True, norm_first=True)
        self.embed = torch.nn.Linear(config.in_dim, config.width)
        self.blocks = torch.nn.TransformerEncoder(layer, config.depth, enable_nested_tensor=False)
        self.norm = torch.nn.LayerNorm(config.width)
        self.head = torch.nn.Linear(config.width, config.out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Project, encode, normalise, project out."""
        return self.head(self.norm(self.blocks(self.embed(x))))
