"""The base of every schedule: position checks, the start/end window and the overhang."""

from __future__ import annotations

import operator
from abc import ABC, abstractmethod
from typing import Generic, TypeVar

from noether.core.schedules._curves import floor_fraction
from noether.core.schemas.schedules import ScheduleBaseConfig

ConfigT = TypeVar("ConfigT", bound=ScheduleBaseConfig)


def check_position(step: int, total_steps: int) -> tuple[int, int]:
    """Validate a ``(step, total_steps)`` query and return both as plain ints.

    A step outside ``[0, total_steps]`` is a bug in the caller (a counter that ran past the end of the run),
    so it is an error instead of a silently extrapolated value.
    """
    try:
        step = operator.index(step)
        total_steps = operator.index(total_steps)
    except TypeError:
        raise TypeError(
            f"schedule positions must be integers, got step={step!r}, total_steps={total_steps!r}"
        ) from None
    if total_steps < 0:
        raise ValueError(f"total_steps must be >= 0, got {total_steps}")
    if not 0 <= step <= total_steps:
        raise ValueError(f"step must be in [0, total_steps] = [0, {total_steps}], got step={step}")
    return step, total_steps


class ScheduleBase(ABC, Generic[ConfigT]):
    """A value that changes over a run, queried with :meth:`get_value`.

    Subclasses implement :meth:`_get_value` on the schedule's own time axis; this class maps the run's
    position onto it: the ``start/end_step`` or ``start/end_percent`` window (the schedule runs inside it and
    holds its boundary values outside) and the overhang (the schedule is stretched so it ends after the
    window).

    ``default_max_value`` is the optimizer's ``lr`` (or base weight decay); schedules whose peak may be left
    unset use it.
    """

    def __init__(self, config: ConfigT, *, default_max_value: float | None = None) -> None:
        self.config = config
        self.default_max_value = default_max_value

    def get_value(self, step: int, total_steps: int) -> float:
        """The value at ``step`` of a run of ``total_steps`` steps (``0 <= step <= total_steps``)."""
        step, total_steps = check_position(step, total_steps)
        start, end = self.window(total_steps)
        length = end - start
        inner = min(max(step - start, 0), length)
        return self._get_value(inner, length + self.overhang(length))

    def window(self, total_steps: int) -> tuple[int, int]:
        """The ``[start, end]`` steps in which the schedule is active (the whole run unless configured)."""
        cfg = self.config
        if cfg.start_step is not None and cfg.end_step is not None:
            return cfg.start_step, cfg.end_step
        if cfg.start_percent is not None and cfg.end_percent is not None:
            start = floor_fraction(cfg.start_percent * total_steps)
            return start, floor_fraction(cfg.end_percent * total_steps)
        return 0, total_steps

    def overhang(self, length: int) -> int:
        """Extra steps appended to the schedule's length, so that it is cut off before reaching its end."""
        cfg = self.config
        if cfg.overhang_percent is not None:
            return int(length * cfg.overhang_percent)
        if cfg.overhang_steps is not None:
            return cfg.overhang_steps
        return 0

    @abstractmethod
    def _get_value(self, step: int, total_steps: int) -> float:
        """The value on the schedule's own axis; ``0 <= step <= total_steps`` is guaranteed."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"
