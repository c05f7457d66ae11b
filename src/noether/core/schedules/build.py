"""Building a schedule component from its config through the registry."""

from __future__ import annotations

from typing import Any

from noether.core.schedules.base import ScheduleBase


def build_schedule(config: Any, default_max_value: float | None = None) -> ScheduleBase[Any]:
    """Instantiate the schedule registered for ``config.kind``.

    ``default_max_value`` is the peak used by warm-up schedules that leave ``max_value`` unset (the
    optimizer's ``lr``). Plugins can register further schedule kinds; they are built the same way, and the
    fields every schedule inherits (window, overhang) apply to them too (see ``noether.core.schedules.framed``).
    """
    from noether.core.registry import get_registry
    from noether.core.schedules.framed import frame

    schedule = get_registry().build("schedule", config, default_max_value=default_max_value)
    if not (hasattr(schedule, "get_value") or hasattr(schedule, "curve")):
        raise TypeError(f"schedule kind '{config.kind}' built {type(schedule).__name__}, without get_value()")
    return frame(schedule)
