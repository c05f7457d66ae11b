"""Schedules without progress: a constant value, or an explicit list of values."""

from __future__ import annotations

from noether.core.schedules.base import ScheduleBase
from noether.core.schemas.schedules import ConstantScheduleConfig, CustomScheduleConfig


class ConstantSchedule(ScheduleBase[ConstantScheduleConfig]):
    """``config.value`` at every step."""

    def _get_value(self, step: int, total_steps: int) -> float:
        return float(self.config.value)


class CustomSchedule(ScheduleBase[CustomScheduleConfig]):
    """``config.values[step]``.

    A run uses steps ``0 .. total_steps - 1``, so ``total_steps`` values suffice; the end position
    ``step == total_steps`` holds the last value.
    """

    def _get_value(self, step: int, total_steps: int) -> float:
        values = self.config.values
        if step < len(values):
            return float(values[step])
        if step == total_steps and len(values) == total_steps:
            return float(values[-1])
        raise ValueError(
            f"CustomSchedule has {len(values)} values but step {step} of {total_steps} was requested; "
            f"give at least {total_steps} values"
        )
