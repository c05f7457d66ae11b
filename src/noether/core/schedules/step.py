"""Step schedules: the value changes by a factor at fixed fractions of the run."""

from __future__ import annotations

import bisect

from noether.core.schedules.base import ScheduleBase
from noether.core.schedules.progress import _Decreasing
from noether.core.schemas.schedules import (
    StepDecreasingScheduleConfig,
    StepFixedScheduleConfig,
    StepIntervalScheduleConfig,
)


def run_fraction(step: int, total_steps: int) -> float:
    """``step / total_steps`` in [0, 1] (0 for an empty run).

    Step schedules divide by ``total`` (not ``total - 1`` like the smooth curves), as upstream does, so their
    boundaries fall on round fractions of the run.
    """
    return min(step / total_steps, 1.0) if total_steps > 0 else 0.0


def intervals_passed(fraction: float, interval: float) -> int:
    """How many whole ``interval``s lie in ``fraction`` (rounded first, so 0.6 / 0.2 counts as 3)."""
    return int(round(fraction / interval, 10))


class StepDecreasingSchedule(_Decreasing[StepDecreasingScheduleConfig]):
    """From ``max_value`` towards ``end_value``, multiplying the distance by ``factor`` every interval.

    ``value = max * factor**k + end * (1 - factor**k)``, ``k`` = how many ``decreases_interval``s passed.
    """

    def __init__(
        self, config: StepDecreasingScheduleConfig, *, default_max_value: float | None = None
    ) -> None:
        super().__init__(config, default_max_value=default_max_value)
        # A factor above 1 would move the value away from end_value and past max_value without bound.
        if config.factor > 1.0:
            raise ValueError(f"StepDecreasingSchedule needs factor <= 1, got factor={config.factor}")

    def progress(self, step: int, total_steps: int) -> float:
        """``1 - factor ** k``."""
        k = intervals_passed(run_fraction(step, total_steps), self.config.decreases_interval)
        return 1.0 - self.config.factor**k


class StepFixedSchedule(ScheduleBase[StepFixedScheduleConfig]):
    """``start_value * factor ** k``, ``k`` = how many of the listed fractions the run has reached."""

    def __init__(self, config: StepFixedScheduleConfig, *, default_max_value: float | None = None) -> None:
        super().__init__(config, default_max_value=default_max_value)
        self._boundaries = sorted(config.steps)

    def _get_value(self, step: int, total_steps: int) -> float:
        k = bisect.bisect_right(self._boundaries, run_fraction(step, total_steps))
        return float(self.config.start_value * self.config.factor**k)


class StepIntervalSchedule(ScheduleBase[StepIntervalScheduleConfig]):
    """``start_value * factor ** k``, ``k`` = how many ``update_interval``s of the run have passed."""

    def _get_value(self, step: int, total_steps: int) -> float:
        k = intervals_passed(run_fraction(step, total_steps), self.config.update_interval)
        return float(self.config.start_value * self.config.factor**k)

