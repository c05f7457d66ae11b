"""Linear warm-up + cosine decay, and the seed's SchedulerConfig."""

from __future__ import annotations

import math
from typing import Any

import pytest

from noether.core.schedules import LinearWarmupCosineDecaySchedule, WarmupCosineScheduler
from noether.core.schemas.schedules import LinearWarmupCosineDecayScheduleConfig, SchedulerConfig

UPSTREAM = [
    0.3333333333,
    0.6666666667,
    1.0,
    0.96194,
    0.85355,
    0.69134,
    0.5000005,
    0.30866,
    0.14645,
    0.03806,
    1e-6,
]


def hand(step: int, total: int, warmup: int, peak: float, end: float) -> float:
    if step < warmup:
        return peak * (step + 1) / (warmup + 1)
    j = min(step - warmup, total - warmup - 1)
    return end + (peak - end) * (1 + math.cos(math.pi * j / max(1, total - warmup - 1))) / 2


@pytest.mark.parametrize("kwargs", [{"warmup_percent": 0.2}, {"warmup_steps": 2}])
def test_upstream_example(kwargs: dict[str, Any]) -> None:
    schedule = LinearWarmupCosineDecaySchedule(LinearWarmupCosineDecayScheduleConfig(max_value=1.0, **kwargs))
    got = [schedule.get_value(s, 11) for s in range(11)]
    assert got == pytest.approx(UPSTREAM, abs=1e-5)
    assert got == pytest.approx([hand(s, 11, 2, 1.0, 1e-6) for s in range(11)], abs=1e-12)
    assert schedule.get_value(11, 11) == 1e-6


def test_max_value_defaults_to_optimizer_lr() -> None:
    cfg = LinearWarmupCosineDecayScheduleConfig(warmup_steps=3, end_value=0.0)
    schedule = LinearWarmupCosineDecaySchedule(cfg, default_max_value=1e-3)
    got = [schedule.get_value(s, 20) for s in range(20)]
    assert max(got) == pytest.approx(1e-3, abs=1e-15)
    assert got == pytest.approx([hand(s, 20, 3, 1e-3, 0.0) for s in range(20)], abs=1e-15)
    explicit = LinearWarmupCosineDecaySchedule(attr_evolve(cfg, max_value=0.5), default_max_value=1e-3)
    assert explicit.get_value(3, 20) == 0.5


def attr_evolve(
    cfg: LinearWarmupCosineDecayScheduleConfig, **changes: Any
) -> LinearWarmupCosineDecayScheduleConfig:
    import attrs

    return attrs.evolve(cfg, **changes)


def test_missing_peak_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"max_value.*lr"):
        LinearWarmupCosineDecaySchedule(LinearWarmupCosineDecayScheduleConfig(warmup_steps=3))
    with pytest.raises(ValueError, match="lr"):
        WarmupCosineScheduler(SchedulerConfig(warmup_percent=0.1, end_value=0.0))


def test_end_above_peak_is_rejected() -> None:
    cfg = LinearWarmupCosineDecayScheduleConfig(warmup_steps=3)  # end_value defaults to 1e-6
    with pytest.raises(ValueError, match="end_value"):
        LinearWarmupCosineDecaySchedule(cfg, default_max_value=1e-7)


def test_warmup_from_nonzero_start() -> None:
    cfg = LinearWarmupCosineDecayScheduleConfig(warmup_steps=4, start_value=0.2, max_value=1.0, end_value=0.0)
    got = [LinearWarmupCosineDecaySchedule(cfg).get_value(s, 10) for s in range(5)]
    assert got == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0], abs=1e-12)


def test_no_warmup_is_pure_cosine() -> None:
    cfg = LinearWarmupCosineDecayScheduleConfig(warmup_steps=0, max_value=1.0, end_value=0.0)
    got = [LinearWarmupCosineDecaySchedule(cfg).get_value(s, 5) for s in range(5)]
    assert got == pytest.approx(
        [1.0, 1 - (1 - math.cos(math.pi / 4)) / 2, 0.5, (1 - math.cos(math.pi / 4)) / 2, 0.0]
    )


def test_warmup_percent_rounds_float_noise() -> None:
    # 0.29 * 100 = 28.999999999999996 in floating point; the warm-up is still 29 steps long.
    cfg = LinearWarmupCosineDecayScheduleConfig(warmup_percent=0.29, max_value=1.0)
    schedule = LinearWarmupCosineDecaySchedule(cfg)
    assert schedule.warmup_steps(101) == 29
    assert schedule.get_value(29, 101) == 1.0


def test_warmup_longer_than_run() -> None:
    cfg = LinearWarmupCosineDecayScheduleConfig(warmup_steps=10, max_value=1.0)
    schedule = LinearWarmupCosineDecaySchedule(cfg)
    assert [schedule.get_value(s, 4) for s in range(5)] == pytest.approx([k / 11 for k in range(1, 6)])
    full = LinearWarmupCosineDecaySchedule(attr_evolve(cfg, warmup_steps=4))
    assert full.get_value(4, 4) == 1.0


def test_scheduler_config_is_lwcd_with_lr_peak() -> None:
    schedule = WarmupCosineScheduler(
        SchedulerConfig(warmup_percent=0.2, end_value=1e-6), default_max_value=1.0
    )
    assert [schedule.get_value(s, 11) for s in range(11)] == pytest.approx(UPSTREAM, abs=1e-5)
