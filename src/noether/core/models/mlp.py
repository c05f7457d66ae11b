"""The built-in multi-layer perceptron."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from noether.core.models.base import Model
from noether.core.schemas.models import MLPConfig

_ACTIVATIONS: dict[str, type[nn.Module]] = {"gelu": nn.GELU, "relu": nn.ReLU, "silu": nn.SiLU, "tanh": nn.Tanh}


class MLP(Model):
    """``depth`` hidden layers of ``hidden_dim``; inputs are concatenated along the last dimension."""

    config_class = MLPConfig

    def __init__(self, config: MLPConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        layers: list[nn.Module] = []
        width = config.input_dim
        for _ in range(config.depth):
            layers += [nn.Linear(width, config.hidden_dim), _ACTIVATIONS[config.activation]()]
            if config.dropout > 0:
                layers.append(nn.Dropout(config.dropout))
            width = config.hidden_dim
        layers.append(nn.Linear(width, config.output_dim))
        self.net = nn.Sequential(*layers)
        self._names = config.output_names
        self._splits = config.output_splits

    def forward(self, *args: torch.Tensor, **inputs: torch.Tensor) -> Any:
        """Concatenate the inputs, apply the layers, and split into named outputs if configured."""
        if not args and len(inputs) == 1:
            (x,) = inputs.values()
        else:
            tensors = list(args) + list(inputs.values())
            x = tensors[0] if len(tensors) == 1 else torch.cat(tensors, dim=-1)
        out = self.net(x)
        if self._names is None or self._splits is None:
            return out
        return dict(zip(self._names, out.split(list(self._splits), dim=-1), strict=True))
