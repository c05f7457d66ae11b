"""The fields and rules every schedule config shares."""

from collections.abc import Iterator
from typing import Literal

import attrs

from noether.core.schemas._base import Schema, both_or_neither, exactly_one
from noether.core.schemas._constraints import (
    NonNegativeFloat,
    NonNegativeInt,
    UnitFloat,
)

_P = "noether.core.schedules."


@attrs.frozen(kw_only=True)
class ScheduleBaseConfig(Schema):
    """Fields shared by every schedule.

    ``start_step``/``end_step`` (or ``start_percent``/``end_percent``) restrict the schedule to a window of the
    run: before the window it holds its first value, after it its last value.
    """

    kind: str | None = _P + "base.ScheduleBase"
    #: Prolong the schedule by this fraction of the run (mutually exclusive with ``overhang_steps``).
    overhang_percent: NonNegativeFloat | None = None
    #: Prolong the schedule by this many steps.
    overhang_steps: NonNegativeInt | None = None
    start_value: NonNegativeFloat = 0.0
    end_value: NonNegativeFloat = 1e-6
    #: Unused by every built-in schedule; kept so upstream files load.
    weight_decay: float | None = 0.0
    #: Fraction of the run at which the schedule window starts.
    start_percent: UnitFloat | None = None
    #: Fraction of the run at which the schedule window ends.
    end_percent: UnitFloat | None = None
    #: Step at which the schedule window starts.
    start_step: NonNegativeInt | None = None
    #: Step at which the schedule window ends.
    end_step: NonNegativeInt | None = None
    #: ``update``: one value per update; ``epoch``: constant within each epoch.
    interval: Literal["update", "epoch"] = "update"

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from exactly_one(self, ("overhang_percent", "overhang_steps"), allow_none=True)
        yield from both_or_neither(self, "start_percent", "end_percent")
        yield from both_or_neither(self, "start_step", "end_step")
        if self.start_percent is not None and self.start_step is not None:
            yield "start_step", "a window is given either in steps or in percents, not both"
        if (self.start_percent is not None and self.end_percent is not None
                and self.start_percent >= self.end_percent):
            yield "end_percent", f"must be greater than start_percent={self.start_percent}, got {self.end_percent}"
        if self.start_step is not None and self.end_step is not None and self.start_step >= self.end_step:
            yield "end_step", f"must be greater than start_step={self.start_step}, got {self.end_step}"

