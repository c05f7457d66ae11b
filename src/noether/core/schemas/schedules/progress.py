"""Schedules that move with the run's progress: increasing, decreasing, and stepwise decreasing."""

from collections.abc import Iterator
from typing import Annotated, Literal

import attrs

from noether.core.schemas._constraints import (
    Between,
    NonNegativeFloat,
    OpenUnitFloat,
)
from noether.core.schemas.schedules.base import ScheduleBaseConfig

_P = "noether.core.schedules."


@attrs.frozen(kw_only=True)
class ProgressScheduleConfig(ScheduleBaseConfig):
    """A schedule that moves with the run's progress (linear unless a subclass says otherwise)."""

    kind: Literal["noether.core.schedules.ProgressSchedule"] = _P + "ProgressSchedule"
    #: Skip the first value of the curve (the first step already moved).
    exclude_first: bool = False
    #: Skip the last value of the curve (the end value is never reached).
    exclude_last: bool = False


@attrs.frozen(kw_only=True)
class DecreasingProgressScheduleConfig(ProgressScheduleConfig):
    """Moves from ``max_value`` down to ``end_value``."""

    kind: Literal["noether.core.schedules.DecreasingProgressSchedule"] = (
        _P + "DecreasingProgressSchedule"
    )
    #: Starting (maximum) value.
    max_value: NonNegativeFloat
    #: Final (minimum) value.
    end_value: NonNegativeFloat = 0.0

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from super()._check()
        if self.end_value > self.max_value:
            yield "end_value", f"must be <= max_value={self.max_value}, got {self.end_value}"


@attrs.frozen(kw_only=True)
class IncreasingProgressScheduleConfig(ProgressScheduleConfig):
    """Moves from ``start_value`` up to ``max_value``."""

    kind: Literal["noether.core.schedules.IncreasingProgressSchedule"] = (
        _P + "IncreasingProgressSchedule"
    )
    start_value: NonNegativeFloat = 0.0
    #: Final (maximum) value.
    max_value: float

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from super()._check()
        if self.max_value < self.start_value:
            yield "max_value", f"must be >= start_value={self.start_value}, got {self.max_value}"


@attrs.frozen(kw_only=True)
class LinearIncreasingScheduleConfig(IncreasingProgressScheduleConfig):
    """Linear increase from ``start_value`` to ``max_value``."""

    kind: Literal["noether.core.schedules.LinearIncreasingSchedule"] = (
        _P + "LinearIncreasingSchedule"
    )


@attrs.frozen(kw_only=True)
class CosineIncreasingScheduleConfig(IncreasingProgressScheduleConfig):
    """Half-cosine increase from ``start_value`` to ``max_value``."""

    kind: Literal["noether.core.schedules.CosineIncreasingSchedule"] = (
        _P + "CosineIncreasingSchedule"
    )


@attrs.frozen(kw_only=True)
class PolynomialIncreasingScheduleConfig(IncreasingProgressScheduleConfig):
    """Polynomial increase ``1 - (1 - p) ** power``."""

    kind: Literal["noether.core.schedules.PolynomialIncreasingSchedule"] = (
        _P + "PolynomialIncreasingSchedule"
    )
    #: Power of the polynomial.
    power: Annotated[float, Between(0.0, float("inf"), open_low=True)] = 1.0


@attrs.frozen(kw_only=True)
class LinearDecreasingScheduleConfig(DecreasingProgressScheduleConfig):
    """Linear decrease from ``max_value`` to ``end_value``."""

    kind: Literal["noether.core.schedules.LinearDecreasingSchedule"] = (
        _P + "LinearDecreasingSchedule"
    )


@attrs.frozen(kw_only=True)
class CosineDecreasingScheduleConfig(DecreasingProgressScheduleConfig):
    """Half-cosine decrease from ``max_value`` to ``end_value``."""

    kind: Literal["noether.core.schedules.CosineDecreasingSchedule"] = (
        _P + "CosineDecreasingSchedule"
    )


@attrs.frozen(kw_only=True)
class PolynomialDecreasingScheduleConfig(DecreasingProgressScheduleConfig):
    """Polynomial decrease ``(1 - p) ** power`` from ``max_value`` to ``end_value``."""

    kind: Literal["noether.core.schedules.PolynomialDecreasingSchedule"] = (
        _P + "PolynomialDecreasingSchedule"
    )
    #: Power of the polynomial.
    power: Annotated[float, Between(0.0, float("inf"), open_low=True)] = 1.0


@attrs.frozen(kw_only=True)
class StepDecreasingScheduleConfig(DecreasingProgressScheduleConfig):
    """Multiplies by ``factor`` every ``decreases_interval`` of the run, towards ``end_value``."""

    kind: Literal["noether.core.schedules.StepDecreasingSchedule"] = (
        _P + "StepDecreasingSchedule"
    )
    #: Factor applied at each decrease.
    factor: NonNegativeFloat
    #: Fraction of the run between two decreases, in (0, 1).
    decreases_interval: OpenUnitFloat

