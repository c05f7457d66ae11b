"""Schedules that do not follow the run's progress: a constant, or one value per step."""

from typing import Annotated, Literal

import attrs

from noether.core.schemas._constraints import (
    NonEmpty,
)
from noether.core.schemas.schedules.base import ScheduleBaseConfig

_P = "noether.core.schedules."


@attrs.frozen(kw_only=True)
class ConstantScheduleConfig(ScheduleBaseConfig):
    """The same value at every step."""

    kind: Literal["noether.core.schedules.ConstantSchedule"] = _P + "ConstantSchedule"
    #: The value returned for every step.
    value: float


@attrs.frozen(kw_only=True)
class CustomScheduleConfig(ScheduleBaseConfig):
    """An explicit value per step."""

    kind: Literal["noether.core.schedules.CustomSchedule"] = _P + "CustomSchedule"
    #: ``values[step]`` is returned at ``step``; needs at least as many values as steps.
    values: Annotated[list[float], NonEmpty()]

