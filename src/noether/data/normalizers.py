"""Normalizers: map a data source to the model's scale and predictions back to physical units (§8.1).

Every normalizer is an affine map, optionally after the symmetric log transform ``L(x) = sign(x) log1p(|x|)``:
``y = (L(x) + shift) * scale`` and back ``x = L^-1(y / scale - shift)``. Statistics broadcast against the last
dimension of a sample (one value per feature), or are scalars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from noether.core.schemas.normalizers import (
    MeanStdNormalizerConfig,
    PositionNormalizerConfig,
    ShiftAndScaleNormalizerConfig,
)

#: Smallest standard deviation used for scaling (§8.1: ``scale = 1 / max(std, 1e-6)``).
MIN_STD = 1e-6
#: Relative slack of the position range check, so that ``raw_pos_max`` itself is not rejected by rounding.
POSITION_TOLERANCE = 1e-5


def _as_tensor(value: Any, name: str, key: str) -> torch.Tensor:
    try:
        return torch.as_tensor(value, dtype=torch.float32).clone()
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"normalizer '{key}': {name} must be a number or a list of numbers: {exc}") from None


def _check_tensor(x: Any, key: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"normalizer '{key}' expects a torch.Tensor, got {type(x).__name__}")


def symlog(x: torch.Tensor) -> torch.Tensor:
    """``sign(x) * log1p(|x|)``: compresses heavy tails, keeps the sign."""
    return torch.sign(x) * torch.log1p(torch.abs(x))


def symexp(y: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`symlog`: ``sign(y) * (exp(|y|) - 1)``."""
    return torch.sign(y) * torch.expm1(torch.abs(y))


class ShiftAndScaleNormalizer:
    """``y = (L?(x) + shift) * scale``; the base of the other normalizers."""

    def __init__(self, config: Any, normalization_key: str) -> None:
        self.config = config
        self.key = normalization_key
        shift, scale, logscale = self._parameters(config)
        self.shift = _as_tensor(shift, "shift", normalization_key)
        self.scale = _as_tensor(scale, "scale", normalization_key)
        self.logscale = logscale
        if self.shift.shape != self.scale.shape:
            raise ValueError(
                f"normalizer '{normalization_key}': statistics have different shapes "
                f"{tuple(self.shift.shape)} and {tuple(self.scale.shape)}"
            )
        if not bool(torch.all(torch.isfinite(self.scale))) or bool(torch.any(self.scale <= 0)):
            raise ValueError(f"normalizer '{normalization_key}': every scale must be finite and > 0")

    def _parameters(self, config: Any) -> tuple[Any, Any, bool]:
        """``(shift, scale, logscale)`` from the config; subclasses derive them from their own fields."""
        if not isinstance(config, ShiftAndScaleNormalizerConfig):
            raise TypeError(f"expected ShiftAndScaleNormalizerConfig, got {type(config).__name__}")
        return config.shift, config.scale, config.logscale

    def _stats(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Statistics follow the data's device and dtype (predictions may live on a GPU or be float64);
        # ``.to`` is a no-op when nothing changes.
        dtype = x.dtype if x.is_floating_point() else torch.float32
        return self.shift.to(x.device, dtype), self.scale.to(x.device, dtype)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """Map raw values to the model's scale."""
        _check_tensor(x, self.key)
        shift, scale = self._stats(x)
        if self.logscale:
            x = symlog(x)
        return (x + shift) * scale

    def denormalize(self, y: torch.Tensor) -> torch.Tensor:
        """Map normalized values (e.g. predictions) back to raw units."""
        _check_tensor(y, self.key)
        shift, scale = self._stats(y)
        x = y / scale - shift
        return symexp(x) if self.logscale else x

    __call__ = normalize

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r}, logscale={self.logscale})"


class MeanStdNormalizer(ShiftAndScaleNormalizer):
    """``(x - mean) / std`` (after the log transform when ``logscale``)."""

    def _parameters(self, config: Any) -> tuple[Any, Any, bool]:
        if not isinstance(config, MeanStdNormalizerConfig):
            raise TypeError(f"expected MeanStdNormalizerConfig, got {type(config).__name__}")
        mean = _as_tensor(config.mean, "mean", self.key)
        std = _as_tensor(config.std, "std", self.key)
        if mean.shape != std.shape:
            raise ValueError(
                f"normalizer '{self.key}': mean has shape {tuple(mean.shape)} but std has {tuple(std.shape)}"
            )
        if bool(torch.any(std <= 0)):
            raise ValueError(f"normalizer '{self.key}': every std must be > 0, got {config.std}")
        return -mean, 1.0 / torch.clamp(std, min=MIN_STD), config.logscale


class PositionNormalizer(ShiftAndScaleNormalizer):
    """Maps ``[raw_pos_min, raw_pos_max]`` to ``[0, scale]``; values outside raise ``ValueError``."""

    def _parameters(self, config: Any) -> tuple[Any, Any, bool]:
        if not isinstance(config, PositionNormalizerConfig):
            raise TypeError(f"expected PositionNormalizerConfig, got {type(config).__name__}")
        low = _as_tensor(config.raw_pos_min, "raw_pos_min", self.key)
        high = _as_tensor(config.raw_pos_max, "raw_pos_max", self.key)
        if low.shape != high.shape or bool(torch.any(high <= low)):
            raise ValueError(
                f"normalizer '{self.key}': raw_pos_max must be element-wise greater than raw_pos_min"
            )
        self.target = float(config.scale)
        return -low, self.target / (high - low), False

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """Map positions to ``[0, scale]``; positions outside the configured box are an error."""
        y = super().normalize(x)
        slack = POSITION_TOLERANCE * self.target
        if y.numel() and (float(y.min()) < -slack or float(y.max()) > self.target + slack):
            low, high = float(y.min()), float(y.max())
            raise ValueError(
                f"normalizer '{self.key}': positions outside [raw_pos_min, raw_pos_max] "
                f"(normalized range [{low:.6g}, {high:.6g}], allowed [0, {self.target:g}])"
            )
        return y


class NormalizerChain:
    """Several normalizers of one key, applied in list order; ``denormalize`` undoes them in reverse."""

    def __init__(self, key: str, normalizers: Sequence[ShiftAndScaleNormalizer]) -> None:
        self.key = key
        self.normalizers = tuple(normalizers)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """Apply every normalizer in order."""
        for normalizer in self.normalizers:
            x = normalizer.normalize(x)
        return x

    def denormalize(self, y: torch.Tensor) -> torch.Tensor:
        """Undo every normalizer, last first."""
        for normalizer in reversed(self.normalizers):
            y = normalizer.denormalize(y)
        return y

    __call__ = normalize

    def __repr__(self) -> str:
        return f"NormalizerChain({self.key!r}, {list(self.normalizers)!r})"


def build_normalizers(configs: Mapping[str, Any] | None) -> dict[str, NormalizerChain]:
    """Instantiate ``dataset_normalizers`` (one config or a list per key) through the registry."""
    from noether.core.registry import get_registry

    registry = get_registry()
    chains: dict[str, NormalizerChain] = {}
    for key, value in (configs or {}).items():
        items = value if isinstance(value, list | tuple) else [value]
        chains[key] = NormalizerChain(
            key, [registry.build("normalizer", config, normalization_key=key) for config in items]
        )
    return chains
