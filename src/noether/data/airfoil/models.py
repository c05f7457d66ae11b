"""Built-in models for the airfoil example: a point-cloud Transformer and a per-point MLP baseline.

Both take the positions of each configured point set and the per-sample conditioning as keyword arguments
(the trainer passes ``forward_properties``) and return ``{output_name: prediction}`` with one prediction of
shape ``(batch, points, size)`` per configured output.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from noether.core.models.base import Model
from noether.data.airfoil.schemas import AirfoilMLPConfig, AirfoilTransformerConfig, _AirfoilModelConfig


class FourierFeatures(nn.Module):
    """``[x, sin(2 pi x B), cos(2 pi x B)]`` with a fixed Gaussian matrix ``B`` (drawn at construction)."""

    def __init__(self, in_dim: int, num_features: int, scale: float) -> None:
        super().__init__()
        self.frequencies: torch.Tensor
        self.register_buffer("frequencies", torch.randn(in_dim, num_features) * scale)
        self.out_dim = in_dim + 2 * num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Encode positions ``(..., in_dim)``."""
        if self.frequencies.shape[1] == 0:
            return x
        proj = 2 * math.pi * (x @ self.frequencies)
        return torch.cat([x, torch.sin(proj), torch.cos(proj)], dim=-1)


class _AirfoilModel(Model):
    """Input handling shared by the airfoil models."""

    config: _AirfoilModelConfig

    def __init__(self, config: _AirfoilModelConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.encode_position = FourierFeatures(
            config.position_dim, config.fourier_features, config.fourier_scale
        )
        self.conditioning_dim = config.conditioning_dim if config.conditioning is not None else 0
        self.point_sets = [(ps.position, dict(ps.outputs)) for ps in config.point_sets]
        self.point_features = [dict(ps.features) for ps in config.point_sets]
        # Every point set gets the same input width; sets without some feature see zeros there.
        self.feature_keys = sorted({k for features in self.point_features for k in features})
        self.feature_dims = {k: f[k] for f in self.point_features for k in f}
        extra = sum(self.feature_dims.values()) + self.conditioning_dim
        self.input_dim = self.encode_position.out_dim + extra

    def _input(self, inputs: dict[str, torch.Tensor], key: str) -> torch.Tensor:
        if key not in inputs:
            raise KeyError(
                f"model '{self.name}' needs the batch key '{key}' (add it to forward_properties); "
                f"got {', '.join(sorted(inputs)) or 'nothing'}"
            )
        return inputs[key]

    def _conditioning(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor | None:
        if self.config.conditioning is None:
            return None
        cond = self._input(inputs, self.config.conditioning)
        return cond.reshape(cond.shape[0], 1, -1).float()

    def _point_features(
        self, inputs: dict[str, torch.Tensor], index: int, cond: torch.Tensor | None
    ) -> torch.Tensor:
        position = self._input(inputs, self.point_sets[index][0]).float()
        parts = [self.encode_position(position)]
        for key in self.feature_keys:
            if key in self.point_features[index]:
                parts.append(self._input(inputs, key).float())
            else:
                parts.append(position.new_zeros((*position.shape[:2], self.feature_dims[key])))
        if cond is not None:
            parts.append(cond.expand(-1, position.shape[1], -1))
        return torch.cat(parts, dim=-1)

    @staticmethod
    def _split(out: torch.Tensor, outputs: dict[str, int]) -> dict[str, torch.Tensor]:
        return dict(zip(outputs, out.split(list(outputs.values()), dim=-1), strict=True))


class AirfoilTransformer(_AirfoilModel):
    """A Transformer encoder over point tokens (position features + conditioning) and a conditioning token.

    Tokens of all point sets attend to each other; a learned embedding tells the sets apart. A boolean
    ``<position>_mask`` input (from a ``PadCollator``) marks real points.
    """

    config_class = AirfoilTransformerConfig

    def __init__(self, config: AirfoilTransformerConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        width = config.hidden_dim
        self.embed_points = nn.Linear(self.input_dim, width)
        self.set_embedding = nn.Parameter(torch.zeros(len(self.point_sets), width))
        self.embed_conditioning = nn.Linear(self.conditioning_dim, width) if self.conditioning_dim else None
        layer = nn.TransformerEncoderLayer(
            width, config.num_heads, width * config.mlp_ratio, config.dropout,
            activation="gelu", batch_first=True, norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, config.depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.heads = nn.ModuleList(nn.Linear(width, sum(outputs.values())) for _, outputs in self.point_sets)

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Predict every configured output at its point set."""
        cond = self._conditioning(inputs)
        tokens: list[torch.Tensor] = []
        masks: list[torch.Tensor] = []
        sizes: list[int] = []
        for i, (key, _) in enumerate(self.point_sets):
            position = self._input(inputs, key)
            tokens.append(self.embed_points(self._point_features(inputs, i, cond)) + self.set_embedding[i])
            mask = inputs.get(key + "_mask")
            masks.append(torch.ones(position.shape[:2], dtype=torch.bool, device=position.device)
                         if mask is None else mask.bool())
            sizes.append(position.shape[1])
        if cond is not None and self.embed_conditioning is not None:
            tokens.insert(0, self.embed_conditioning(cond))
            masks.insert(0, torch.ones(cond.shape[:2], dtype=torch.bool, device=cond.device))
        x = torch.cat(tokens, dim=1)
        valid = torch.cat(masks, dim=1)
        padding = None if bool(valid.all()) else ~valid
        x = self.norm(self.encoder(x, src_key_padding_mask=padding))
        if cond is not None and self.embed_conditioning is not None:
            x = x[:, 1:]
        result: dict[str, torch.Tensor] = {}
        for (_, outputs), head, part in zip(self.point_sets, self.heads, x.split(sizes, dim=1), strict=True):
            result.update(self._split(head(part), outputs))
        return result


class AirfoilMLP(_AirfoilModel):
    """The baseline: each point independently, ``MLP([Fourier(position), conditioning])``."""

    config_class = AirfoilMLPConfig

    def __init__(self, config: AirfoilMLPConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        width = config.hidden_dim
        layers: list[nn.Module] = []
        in_dim = self.input_dim
        for _ in range(config.depth):
            layers += [nn.Linear(in_dim, width), nn.GELU()]
            in_dim = width
        self.trunk = nn.Sequential(*layers)
        self.heads = nn.ModuleList(nn.Linear(width, sum(outputs.values())) for _, outputs in self.point_sets)

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Predict every configured output at its point set."""
        cond = self._conditioning(inputs)
        result: dict[str, torch.Tensor] = {}
        for i, ((_, outputs), head) in enumerate(zip(self.point_sets, self.heads, strict=True)):
            result.update(self._split(head(self.trunk(self._point_features(inputs, i, cond))), outputs))
        return result
