"""Normalizer configs: how a data source is mapped to and from the model's scale."""


from collections.abc import Iterator
from typing import Any, Literal

import attrs

from noether.core.schemas._base import Schema
from noether.core.schemas._constraints import PositiveFloat
from noether.core.schemas._types import ArrayLike
from noether.core.schemas.unions import AnyNormalizer

__all__ = ["AnyNormalizer", "ArrayLike", "MeanStdNormalizerConfig", "PositionNormalizerConfig",
           "ShiftAndScaleNormalizerConfig"]

_P = "noether.data.preprocessors.normalizers."


def _flat(value: Any) -> list[float]:
    if isinstance(value, list | tuple):
        return [x for item in value for x in _flat(item)]
    return [value]


def _shape(value: Any) -> tuple[int, ...]:
    if isinstance(value, list | tuple):
        return (len(value), *(_shape(value[0]) if value else ()))
    return ()


def _is_array(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return bool(value) and all(_is_array(v) for v in value)
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same_shape(obj: object, a: str, b: str) -> Iterator[tuple[str, str]]:
    if not (_is_array(getattr(obj, a)) and _is_array(getattr(obj, b))):
        return  # a field that is not an array is reported by itself
    sa, sb = _shape(getattr(obj, a)), _shape(getattr(obj, b))
    if sa != sb:
        yield b, f"'{a}' has shape {sa} but '{b}' has shape {sb}; they must match"


@attrs.frozen(kw_only=True)
class MeanStdNormalizerConfig(Schema):
    """``(x - mean) / std`` (after ``sign(x) log1p(|x|)`` when ``logscale``)."""

    kind: Literal["noether.data.preprocessors.normalizers.MeanStdNormalization"] = (
        _P + "MeanStdNormalization"
    )
    mean: ArrayLike
    std: ArrayLike
    logscale: bool = False

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from _same_shape(self, "mean", "std")
        if _is_array(self.std) and any(s <= 0 for s in _flat(self.std)):
            yield "std", f"every std must be > 0, got {self.std}"


@attrs.frozen(kw_only=True)
class PositionNormalizerConfig(Schema):
    """Maps positions from ``[raw_pos_min, raw_pos_max]`` to ``[0, scale]``."""

    kind: Literal["noether.data.preprocessors.normalizers.PositionNormalizer"] = _P + "PositionNormalizer"
    raw_pos_min: ArrayLike
    raw_pos_max: ArrayLike
    scale: PositiveFloat = 1000.0

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from _same_shape(self, "raw_pos_min", "raw_pos_max")
        if not (_is_array(self.raw_pos_min) and _is_array(self.raw_pos_max)):
            return
        lows, highs = _flat(self.raw_pos_min), _flat(self.raw_pos_max)
        if len(lows) == len(highs) and any(h <= lo for lo, h in zip(lows, highs, strict=True)):
            yield "raw_pos_max", "raw_pos_max must be element-wise greater than raw_pos_min"


@attrs.frozen(kw_only=True)
class ShiftAndScaleNormalizerConfig(Schema):
    """``(x + shift) * scale`` (after ``sign(x) log1p(|x|)`` when ``logscale``)."""

    kind: Literal["noether.data.preprocessors.normalizers.ShiftAndScaleNormalizer"] = (
        _P + "ShiftAndScaleNormalizer"
    )
    shift: ArrayLike
    scale: ArrayLike
    logscale: bool = False

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from _same_shape(self, "shift", "scale")
        if _is_array(self.scale) and any(s <= 0 for s in _flat(self.scale)):
            yield "scale", f"every scale must be > 0, got {self.scale}"
