"""Linear warm-up followed by a cosine decay (LinearWarmupCosineDecay and the seed's SchedulerConfig)."""

from __future__ import annotations

from noether.core.schedules import _curves
from noether.core.schedules.base import ScheduleBase
from noether.core.schemas.schedules import LinearWarmupCosineDecayScheduleConfig, SchedulerConfig


def warmup_cosine_value(
    step: int, total_steps: int, *, warmup: int, start: float, peak: float, end: float
) -> float:
    """The value of a linear warm-up of ``warmup`` steps followed by a cosine decay to the end of the run.

    The warm-up never reaches ``peak`` itself (the first decay step does), and with ``start == 0`` its first
    value is already above 0, so no update runs with a learning rate of exactly zero:
    ``peak * (s + 1) / (warmup + 1)`` for ``start == 0``, else ``start + (peak - start) * s / warmup``. The
    decay runs from ``peak`` at step ``warmup`` to ``end`` at the last step ``total - 1``.
    """
    if step < warmup:
        s, t = _curves.shifted(step, warmup, exclude_first=start == 0.0, exclude_last=True)
        return _curves.interpolate(start, peak, _curves.fraction(s, t))
    decay_steps = total_steps - warmup
    if decay_steps <= 0:
        # The warm-up fills the whole run; the end position holds the peak it was heading for.
        return peak
    return _curves.interpolate(peak, end, _curves.cosine(_curves.fraction(step - warmup, decay_steps)))


def warmup_steps_from_percent(percent: float, total_steps: int) -> int:
    """Warm-up length for a fraction of the run: ``int(percent * (total - 1))`` (upstream's convention)."""
    return max(0, _curves.floor_fraction(percent * (total_steps - 1)))


def resolve_peak(name: str, max_value: float | None, default_max_value: float | None) -> float:
    """The peak of a warm-up: ``max_value`` if set, else the optimizer's ``lr``; neither is an error."""
    if max_value is not None:
        return float(max_value)
    if default_max_value is not None:
        return float(default_max_value)
    raise ValueError(
        f"{name} needs a peak value: set 'max_value' in the schedule or 'lr' in the optimizer config "
        f"(the peak defaults to the optimizer's lr)"
    )


def check_range(name: str, start: float, peak: float, end: float) -> None:
    """Reject a warm-up whose start or end lies above its peak (it would not be a warm-up then a decay)."""
    if start > peak:
        raise ValueError(f"{name}: start_value={start} must be <= the peak value {peak}")
    if end > peak:
        raise ValueError(
            f"{name}: end_value={end} must be <= the peak value {peak} (the peak is max_value, or the "
            f"optimizer's lr when max_value is not set)"
        )


class LinearWarmupCosineDecaySchedule(ScheduleBase[LinearWarmupCosineDecayScheduleConfig]):
    """Linear warm-up from ``start_value`` to ``max_value``, then cosine decay to ``end_value``.

    ``max_value`` defaults to the optimizer's ``lr`` (passed as ``default_max_value``); the warm-up lasts
    ``warmup_steps`` or ``int(warmup_percent * (total - 1))`` steps.
    """

    def __init__(
        self, config: LinearWarmupCosineDecayScheduleConfig, *, default_max_value: float | None = None
    ) -> None:
        super().__init__(config, default_max_value=default_max_value)
        self.peak = resolve_peak(type(self).__name__, config.max_value, default_max_value)
        check_range(type(self).__name__, config.start_value, self.peak, config.end_value)

    def warmup_steps(self, total_steps: int) -> int:
        """The warm-up length in a schedule of ``total_steps`` steps."""
        if self.config.warmup_steps is not None:
            return self.config.warmup_steps
        assert self.config.warmup_percent is not None  # the config requires exactly one of the two
        return warmup_steps_from_percent(self.config.warmup_percent, total_steps)

    def _get_value(self, step: int, total_steps: int) -> float:
        return warmup_cosine_value(
            step,
            total_steps,
            warmup=self.warmup_steps(total_steps),
            start=self.config.start_value,
            peak=self.peak,
            end=self.config.end_value,
        )


class WarmupCosineScheduler(ScheduleBase[SchedulerConfig]):
    """The seed's ``SchedulerConfig``: warm-up over ``warmup_percent`` of the run to the optimizer's ``lr``,
    then cosine decay to ``end_value`` (no implementation upstream; same curve as the LWCD schedule)."""

    def __init__(self, config: SchedulerConfig, *, default_max_value: float | None = None) -> None:
        super().__init__(config, default_max_value=default_max_value)
        self.peak = resolve_peak(type(self).__name__, None, default_max_value)
        check_range(type(self).__name__, config.start_value, self.peak, config.end_value)

    def _get_value(self, step: int, total_steps: int) -> float:
        return warmup_cosine_value(
            step,
            total_steps,
            warmup=warmup_steps_from_percent(self.config.warmup_percent, total_steps),
            start=self.config.start_value,
            peak=self.peak,
            end=self.config.end_value,
        )
