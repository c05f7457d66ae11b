"""Progress schedules: move from one value to another along a linear, cosine or polynomial curve."""

from __future__ import annotations

from typing import TypeVar

from noether.core.schedules import _curves
from noether.core.schedules.base import ScheduleBase
from noether.core.schemas.schedules import (
    CosineDecreasingScheduleConfig,
    CosineIncreasingScheduleConfig,
    DecreasingProgressScheduleConfig,
    IncreasingProgressScheduleConfig,
    LinearDecreasingScheduleConfig,
    LinearIncreasingScheduleConfig,
    PolynomialDecreasingScheduleConfig,
    PolynomialIncreasingScheduleConfig,
    ProgressScheduleConfig,
)

PC = TypeVar("PC", bound=ProgressScheduleConfig)
IC = TypeVar("IC", bound=IncreasingProgressScheduleConfig)
DC = TypeVar("DC", bound=DecreasingProgressScheduleConfig)


class _Progress(ScheduleBase[PC]):
    """``first + curve(step / (total - 1)) * (last - first)`` with the exclusions of the config applied."""

    def endpoints(self) -> tuple[float, float]:
        """The values at progress 0 and progress 1."""
        return float(self.config.start_value), float(self.config.end_value)

    def curve(self, p: float) -> float:
        """Progress in [0, 1] for a fraction of the run in [0, 1]; linear unless overridden."""
        return _curves.linear(p)

    def progress(self, step: int, total_steps: int) -> float:
        """Progress at a position that already has the exclusions applied."""
        return self.curve(_curves.fraction(step, total_steps))

    def _get_value(self, step: int, total_steps: int) -> float:
        step, total_steps = _curves.shifted(
            step, total_steps, exclude_first=self.config.exclude_first, exclude_last=self.config.exclude_last
        )
        first, last = self.endpoints()
        return _curves.interpolate(first, last, self.progress(step, total_steps))


class ProgressSchedule(_Progress[ProgressScheduleConfig]):
    """Linear from ``start_value`` to ``end_value`` (abstract upstream; linear here)."""


class _Increasing(_Progress[IC]):
    def endpoints(self) -> tuple[float, float]:
        return float(self.config.start_value), float(self.config.max_value)


class _Decreasing(_Progress[DC]):
    def endpoints(self) -> tuple[float, float]:
        return float(self.config.max_value), float(self.config.end_value)


class IncreasingProgressSchedule(_Increasing[IncreasingProgressScheduleConfig]):
    """Linear from ``start_value`` up to ``max_value`` (abstract upstream; linear here)."""


class DecreasingProgressSchedule(_Decreasing[DecreasingProgressScheduleConfig]):
    """Linear from ``max_value`` down to ``end_value`` (abstract upstream; linear here)."""


class LinearIncreasingSchedule(_Increasing[LinearIncreasingScheduleConfig]):
    """Linear from ``start_value`` up to ``max_value``."""


class LinearDecreasingSchedule(_Decreasing[LinearDecreasingScheduleConfig]):
    """Linear from ``max_value`` down to ``end_value``."""


class CosineIncreasingSchedule(_Increasing[CosineIncreasingScheduleConfig]):
    """Half-cosine from ``start_value`` up to ``max_value``."""

    def curve(self, p: float) -> float:
        """Cosine progress."""
        return _curves.cosine(p)


class CosineDecreasingSchedule(_Decreasing[CosineDecreasingScheduleConfig]):
    """Half-cosine from ``max_value`` down to ``end_value``."""

    def curve(self, p: float) -> float:
        """Cosine progress."""
        return _curves.cosine(p)


class PolynomialIncreasingSchedule(_Increasing[PolynomialIncreasingScheduleConfig]):
    """``start + (1 - (1 - p) ** power) * (max - start)``."""

    def curve(self, p: float) -> float:
        """Polynomial progress."""
        return _curves.polynomial(p, self.config.power)


class PolynomialDecreasingSchedule(_Decreasing[PolynomialDecreasingScheduleConfig]):
    """``end + (1 - p) ** power * (max - end)``."""

    def curve(self, p: float) -> float:
        """Polynomial progress."""
        return _curves.polynomial(p, self.config.power)
