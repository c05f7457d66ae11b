"""Schedule configs (learning rate, weight decay, any scalar over training), selected by ``kind``."""


from collections.abc import Iterator
from typing import Annotated, Literal

import attrs

from noether.core.schemas._base import OpenUnion, Schema, both_or_neither, exactly_one
from noether.core.schemas._constraints import (
    Between,
    NonEmpty,
    NonNegativeFloat,
    NonNegativeInt,
    OpenUnitFloat,
    PositiveInt,
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


@attrs.frozen(kw_only=True)
class ProgressScheduleConfig(ScheduleBaseConfig):
    """A schedule that moves with the run's progress (linear unless a subclass says otherwise)."""

    kind: Literal["noether.core.schedules.ProgressSchedule"] = _P + "ProgressSchedule"
    #: Skip the first value of the curve (the first step already moved).
    exclude_first: bool = False
    #: Skip the last value of the curve (the end value is never reached).
    exclude_last: bool = False


@attrs.frozen(kw_only=True)
class DecreasingProgressScheduleConfig(ProgressScheduleConfig):
    """Moves from ``max_value`` down to ``end_value``."""

    kind: Literal["noether.core.schedules.DecreasingProgressSchedule"] = (
        _P + "DecreasingProgressSchedule"
    )
    #: Starting (maximum) value.
    max_value: NonNegativeFloat
    #: Final (minimum) value.
    end_value: NonNegativeFloat = 0.0

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from super()._check()
        if self.end_value > self.max_value:
            yield "end_value", f"must be <= max_value={self.max_value}, got {self.end_value}"


@attrs.frozen(kw_only=True)
class IncreasingProgressScheduleConfig(ProgressScheduleConfig):
    """Moves from ``start_value`` up to ``max_value``."""

    kind: Literal["noether.core.schedules.IncreasingProgressSchedule"] = (
        _P + "IncreasingProgressSchedule"
    )
    start_value: NonNegativeFloat = 0.0
    #: Final (maximum) value.
    max_value: float

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from super()._check()
        if self.max_value < self.start_value:
            yield "max_value", f"must be >= start_value={self.start_value}, got {self.max_value}"


@attrs.frozen(kw_only=True)
class LinearIncreasingScheduleConfig(IncreasingProgressScheduleConfig):
    """Linear increase from ``start_value`` to ``max_value``."""

    kind: Literal["noether.core.schedules.LinearIncreasingSchedule"] = (
        _P + "LinearIncreasingSchedule"
    )


@attrs.frozen(kw_only=True)
class CosineIncreasingScheduleConfig(IncreasingProgressScheduleConfig):
    """Half-cosine increase from ``start_value`` to ``max_value``."""

    kind: Literal["noether.core.schedules.CosineIncreasingSchedule"] = (
        _P + "CosineIncreasingSchedule"
    )


@attrs.frozen(kw_only=True)
class PolynomialIncreasingScheduleConfig(IncreasingProgressScheduleConfig):
    """Polynomial increase ``1 - (1 - p) ** power``."""

    kind: Literal["noether.core.schedules.PolynomialIncreasingSchedule"] = (
        _P + "PolynomialIncreasingSchedule"
    )
    #: Power of the polynomial.
    power: Annotated[float, Between(0.0, float("inf"), open_low=True)] = 1.0


@attrs.frozen(kw_only=True)
class LinearDecreasingScheduleConfig(DecreasingProgressScheduleConfig):
    """Linear decrease from ``max_value`` to ``end_value``."""

    kind: Literal["noether.core.schedules.LinearDecreasingSchedule"] = (
        _P + "LinearDecreasingSchedule"
    )


@attrs.frozen(kw_only=True)
class CosineDecreasingScheduleConfig(DecreasingProgressScheduleConfig):
    """Half-cosine decrease from ``max_value`` to ``end_value``."""

    kind: Literal["noether.core.schedules.CosineDecreasingSchedule"] = (
        _P + "CosineDecreasingSchedule"
    )


@attrs.frozen(kw_only=True)
class PolynomialDecreasingScheduleConfig(DecreasingProgressScheduleConfig):
    """Polynomial decrease ``(1 - p) ** power`` from ``max_value`` to ``end_value``."""

    kind: Literal["noether.core.schedules.PolynomialDecreasingSchedule"] = (
        _P + "PolynomialDecreasingSchedule"
    )
    #: Power of the polynomial.
    power: Annotated[float, Between(0.0, float("inf"), open_low=True)] = 1.0


@attrs.frozen(kw_only=True)
class StepDecreasingScheduleConfig(DecreasingProgressScheduleConfig):
    """Multiplies by ``factor`` every ``decreases_interval`` of the run, towards ``end_value``."""

    kind: Literal["noether.core.schedules.StepDecreasingSchedule"] = (
        _P + "StepDecreasingSchedule"
    )
    #: Factor applied at each decrease.
    factor: NonNegativeFloat
    #: Fraction of the run between two decreases, in (0, 1).
    decreases_interval: OpenUnitFloat


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


@attrs.frozen(kw_only=True)
class LinearWarmupCosineDecayScheduleConfig(ScheduleBaseConfig):
    """Linear warm-up from ``start_value`` to ``max_value``, then cosine decay to ``end_value``.

    ``max_value`` defaults to the optimizer's ``lr`` (upstream defaults it to 1.0, a silent trap).
    """

    kind: Literal["noether.core.schedules.LinearWarmupCosineDecaySchedule"] = (
        _P + "LinearWarmupCosineDecaySchedule"
    )
    #: Length of the warm-up in steps.
    warmup_steps: NonNegativeInt | None = None
    #: Length of the warm-up as a fraction of the run, in [0, 1].
    warmup_percent: UnitFloat | None = None
    #: Peak value; ``None`` means the optimizer's ``lr``.
    max_value: NonNegativeFloat | None = None

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from super()._check()
        yield from exactly_one(self, ("warmup_steps", "warmup_percent"))


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


@attrs.frozen(kw_only=True)
class SchedulerConfig(ScheduleBaseConfig):
    """Linear warm-up over ``warmup_percent`` of the run to the optimizer's ``lr``, then cosine decay."""

    kind: Literal["noether.core.schedules.scheduler.SchedulerConfig"] = (
        _P + "scheduler.SchedulerConfig"
    )
    #: Fraction of the run spent warming up, in [0, 1].
    warmup_percent: UnitFloat
    #: Final value of the decay.
    end_value: NonNegativeFloat


#: Any schedule config, selected by ``kind``.
AnyScheduleConfig = Annotated[Schema, OpenUnion("schedule")]
