"""A schedule that alternates between two values, e.g. to switch something on every few steps."""

from __future__ import annotations

from noether.core.schedules.base import ScheduleBase
from noether.core.schemas.schedules import PeriodicBoolScheduleConfig


class PeriodicBoolSchedule(ScheduleBase[PeriodicBoolScheduleConfig]):
    """``on_value`` or ``off_value`` in periods of ``on_duration + off_duration`` steps.

    With ``initial_state`` a period starts with its on-phase, else with its off-phase; ``invert`` swaps the
    two values.
    """

    def is_on(self, step: int) -> bool:
        """Whether ``step`` (on the schedule's own axis) falls in an on-phase."""
        cfg = self.config
        i = step % (cfg.on_duration + cfg.off_duration)
        on = i < cfg.on_duration if cfg.initial_state else i >= cfg.off_duration
        return on != cfg.invert

    def _get_value(self, step: int, total_steps: int) -> float:
        return float(self.config.on_value if self.is_on(step) else self.config.off_value)
