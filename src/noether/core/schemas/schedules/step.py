"""Schedules that multiply their value at fixed fractions or intervals of the run."""

from typing import Annotated, Literal

import attrs

from noether.core.schemas._constraints import (
    Between,
    NonEmpty,
    NonNegativeFloat,
    OpenUnitFloat,
)
from noether.core.schemas.schedules.base import ScheduleBaseConfig

_P = "noether.core.schedules."


@attrs.frozen(kw_only=True)
class StepFixedScheduleConfig(ScheduleBaseConfig):
    """Multiplies ``start_value`` by ``factor`` at each listed fraction of the run."""

    kind: Literal["noether.core.schedules.StepFixedSchedule"] = _P + "StepFixedSchedule"
    #: The value at step 0.
    start_value: NonNegativeFloat = 1.0
    #: Factor applied at each step boundary.
    factor: NonNegativeFloat
    #: Fractions of the run in (0, 1) at which the value is multiplied by ``factor``.
    steps: Annotated[list[Annotated[float, Between(0.0, 1.0, open_low=True, open_high=True)]], NonEmpty()]


@attrs.frozen(kw_only=True)
class StepIntervalScheduleConfig(ScheduleBaseConfig):
    """Multiplies ``start_value`` by ``factor`` every ``update_interval`` of the run."""

    kind: Literal["noether.core.schedules.StepIntervalSchedule"] = (
        _P + "StepIntervalSchedule"
    )
    #: The value at step 0.
    start_value: NonNegativeFloat = 1.0
    #: Factor applied at each interval.
    factor: NonNegativeFloat
    #: Fraction of the run between two changes, in (0, 1).
    update_interval: OpenUnitFloat

