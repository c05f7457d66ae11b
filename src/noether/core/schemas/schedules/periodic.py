"""A schedule alternating between an on and an off value."""

from typing import Literal

import attrs

from noether.core.schemas._constraints import (
    PositiveInt,
)
from noether.core.schemas.schedules.base import ScheduleBaseConfig

_P = "noether.core.schedules."


@attrs.frozen(kw_only=True)
class PeriodicBoolScheduleConfig(ScheduleBaseConfig):
    """Alternates between an "on" and an "off" value with fixed durations."""

    kind: Literal["noether.core.schedules.PeriodicBoolSchedule"] = (
        _P + "PeriodicBoolSchedule"
    )
    #: Whether the first period starts in the on state.
    initial_state: bool
    #: Value while off.
    off_value: float = 0.0
    #: Value while on.
    on_value: float = 1.0
    #: Steps spent in the off state per period.
    off_duration: PositiveInt = 1
    #: Steps spent in the on state per period.
    on_duration: PositiveInt = 1
    #: Swap the on and off values.
    invert: bool = False

