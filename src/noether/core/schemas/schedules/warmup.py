"""Warm-up then cosine-decay schedules."""

from collections.abc import Iterator
from typing import Literal

import attrs

from noether.core.schemas._base import exactly_one
from noether.core.schemas._constraints import (
    NonNegativeFloat,
    NonNegativeInt,
    UnitFloat,
)
from noether.core.schemas.schedules.base import ScheduleBaseConfig

_P = "noether.core.schedules."


@attrs.frozen(kw_only=True)
class LinearWarmupCosineDecayScheduleConfig(ScheduleBaseConfig):
    """Linear warm-up from ``start_value`` to ``max_value``, then cosine decay to ``end_value``.

    ``max_value`` defaults to the optimizer's ``lr`` (upstream defaults it to 1.0, a silent trap).
    """

    kind: Literal["noether.core.schedules.LinearWarmupCosineDecaySchedule"] = (
        _P + "LinearWarmupCosineDecaySchedule"
    )
    #: Length of the warm-up in steps.
    warmup_steps: NonNegativeInt | None = None
    #: Length of the warm-up as a fraction of the run, in [0, 1].
    warmup_percent: UnitFloat | None = None
    #: Peak value; ``None`` means the optimizer's ``lr``.
    max_value: NonNegativeFloat | None = None

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from super()._check()
        yield from exactly_one(self, ("warmup_steps", "warmup_percent"))


@attrs.frozen(kw_only=True)
class SchedulerConfig(ScheduleBaseConfig):
    """Linear warm-up over ``warmup_percent`` of the run to the optimizer's ``lr``, then cosine decay."""

    kind: Literal["noether.core.schedules.scheduler.SchedulerConfig"] = (
        _P + "scheduler.SchedulerConfig"
    )
    #: Fraction of the run spent warming up, in [0, 1].
    warmup_percent: UnitFloat
    #: Final value of the decay.
    end_value: NonNegativeFloat

