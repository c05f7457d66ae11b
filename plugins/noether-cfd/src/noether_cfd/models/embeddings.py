"""Position encodings shared by the CFD models: sine-cosine features and 3-D rotary embeddings."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn


def _frequencies(count: int, max_wavelength: float) -> torch.Tensor:
    # Geometric ladder from 1 down to 1/max_wavelength: wavelengths 2*pi .. 2*pi*max_wavelength position units.
    if count == 0:
        return torch.zeros(0)
    return max_wavelength ** (-torch.arange(count, dtype=torch.float64) / count)


class SinCosFeatures(nn.Module):
    """``dim`` features per point: sines and cosines of every coordinate at geometric frequencies.

    Each coordinate gets ``dim // (2 * position_dim)`` frequencies; leftover channels are zero, so any ``dim``
    works.
    """

    def __init__(self, dim: int, position_dim: int, max_wavelength: float) -> None:
        super().__init__()
        self.dim = dim
        self.frequencies: torch.Tensor
        self.register_buffer(
            "frequencies", _frequencies(dim // (2 * position_dim), max_wavelength).float(), persistent=False
        )

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        """Encode ``(..., position_dim)`` positions as ``(..., dim)`` features."""
        angles = (positions.float()[..., None] * self.frequencies).flatten(-2)
        features = torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)
        missing = self.dim - features.shape[-1]
        if missing:
            features = torch.nn.functional.pad(features, (0, missing))
        return features


class PointEmbedding(nn.Module):
    """Tokens of a point set: ``MLP([encode(position), features])`` of width ``dim``.

    ``sincos=False`` feeds the raw coordinates (Transolver does); otherwise sine-cosine features (UPT, AB-UPT).
    """

    def __init__(self, dim: int, position_dim: int, feature_dim: int, max_wavelength: float, *, sincos: bool) -> None:
        super().__init__()
        self.encode = SinCosFeatures(dim, position_dim, max_wavelength) if sincos else None
        in_dim = (dim if sincos else position_dim) + feature_dim
        self.mlp = nn.Sequential(nn.Linear(in_dim, dim), nn.GELU(), nn.Linear(dim, dim))

    def forward(self, positions: torch.Tensor, features: torch.Tensor | None) -> torch.Tensor:
        """``(B, N, position_dim)`` positions and optional ``(B, N, F)`` features to ``(B, N, dim)`` tokens."""
        parts = [self.encode(positions) if self.encode is not None else positions.float()]
        if features is not None:
            parts.append(features.float())
        return self.mlp(torch.cat(parts, dim=-1))


class RotaryAngles(NamedTuple):
    """Cosines and sines of the rotation angles of a set of points, each ``(B, N, pairs)``."""

    cos: torch.Tensor
    sin: torch.Tensor

    def slice(self, start: int, stop: int) -> RotaryAngles:
        """The angles of points ``start:stop``."""
        return RotaryAngles(self.cos[:, start:stop], self.sin[:, start:stop])


class Rotary3d(nn.Module):
    """Rotary position embedding over point coordinates (RoPE, extended to ``position_dim`` axes).

    The first channels of each head are split into one group per coordinate; each pair of channels in a
    group is rotated by ``coordinate * frequency``. A query-key product then depends on the positions only
    through their difference. Channels beyond ``2 * pairs * position_dim`` are left unrotated.
    """

    def __init__(self, head_dim: int, position_dim: int, max_wavelength: float) -> None:
        super().__init__()
        self.pairs = head_dim // (2 * position_dim)
        self.frequencies: torch.Tensor
        self.register_buffer("frequencies", _frequencies(self.pairs, max_wavelength).float(), persistent=False)

    def angles(self, positions: torch.Tensor) -> RotaryAngles:
        """The rotation of every point of ``(B, N, position_dim)`` positions."""
        theta = (positions.float()[..., None] * self.frequencies).flatten(-2)
        return RotaryAngles(torch.cos(theta), torch.sin(theta))


def rotate(x: torch.Tensor, angles: RotaryAngles) -> torch.Tensor:
    """Rotate ``(B, H, N, head_dim)`` queries or keys by the angles of their points."""
    pairs = angles.cos.shape[-1]
    if pairs == 0:
        return x
    rotated, rest = x[..., : 2 * pairs], x[..., 2 * pairs :]
    a, b = rotated.unflatten(-1, (pairs, 2)).unbind(-1)
    cos, sin = angles.cos[:, None], angles.sin[:, None]
    # Rotate in the angles' precision (float32), then return to the compute dtype (bf16 under autocast).
    out = torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2).to(x.dtype)
    return torch.cat([out, rest], dim=-1)
