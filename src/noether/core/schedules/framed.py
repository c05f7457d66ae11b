"""The fields every schedule inherits, applied by the framework to schedule kinds that do not derive from
:class:`~noether.core.schedules.base.ScheduleBase` (typically a plugin's).

A plugin schedule may implement only ``get_value(step, total_steps)`` on its own axis, or only
``curve(fraction) -> progress in [0, 1]``; the window (``start/end_step``, ``start/end_percent``), the overhang
(``overhang_steps``/``overhang_percent``) and, for a curve, ``start_value``/``end_value`` come from its config
here (``interval`` is applied by the optimizer for every schedule).
"""

from __future__ import annotations

from typing import Any

from noether.core.schedules import _curves
from noether.core.schedules.base import ScheduleBase


class FramedSchedule(ScheduleBase[Any]):
    """Runs a schedule's own ``get_value`` (or ``curve``) inside the window and overhang of its config."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner.config)
        self.inner = inner

    def _get_value(self, step: int, total_steps: int) -> float:
        get_value = getattr(self.inner, "get_value", None)
        if get_value is not None:
            return float(get_value(step, total_steps))
        progress = float(self.inner.curve(_curves.fraction(step, total_steps)))
        return _curves.interpolate(float(self.config.start_value), float(self.config.end_value), progress)

    def __repr__(self) -> str:
        return f"FramedSchedule({self.inner!r})"


def frame(schedule: Any) -> ScheduleBase[Any]:
    """``schedule`` itself when it derives from ``ScheduleBase``; else wrapped so that its inherited fields apply."""
    if isinstance(schedule, ScheduleBase):
        return schedule
    if not (hasattr(schedule, "get_value") or hasattr(schedule, "curve")) or not hasattr(schedule, "config"):
        raise TypeError(f"schedule {type(schedule).__name__} needs a 'config' and get_value(step, total_steps) "
                        "or curve(fraction)")
    return FramedSchedule(schedule)
