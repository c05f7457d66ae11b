"""Step schedules against hand-computed values."""

from __future__ import annotations

import pytest

from noether.core.schedules import StepDecreasingSchedule, StepFixedSchedule, StepIntervalSchedule
from noether.core.schemas.schedules import (
    StepDecreasingScheduleConfig,
    StepFixedScheduleConfig,
    StepIntervalScheduleConfig,
)


def test_step_fixed_upstream_example() -> None:
    cfg = StepFixedScheduleConfig(factor=0.5, steps=[0.8, 0.2, 0.5])  # unsorted on purpose
    got = [StepFixedSchedule(cfg).get_value(s, 10) for s in range(11)]
    assert got == pytest.approx([1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125], abs=1e-12)


def test_step_interval() -> None:
    cfg = StepIntervalScheduleConfig(start_value=2.0, factor=0.1, update_interval=0.3)
    got = [StepIntervalSchedule(cfg).get_value(s, 10) for s in range(11)]
    # k = int(round((s / 10) / 0.3, 10)): 0,0,0,1,1,1,2,2,2,3,3 (0.3/0.3 = 1.0000000000000002 rounds to 1)
    expected = [2.0 * 0.1**k for k in (0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3)]
    assert got == pytest.approx(expected, abs=1e-12)


def test_step_decreasing_towards_end_value() -> None:
    cfg = StepDecreasingScheduleConfig(max_value=1.0, end_value=0.1, factor=0.5, decreases_interval=0.25)
    got = [StepDecreasingSchedule(cfg).get_value(s, 8) for s in range(9)]
    ks = [0, 0, 1, 1, 2, 2, 3, 3, 4]  # k = int(s / 8 / 0.25)
    assert got == pytest.approx([1.0 * 0.5**k + 0.1 * (1 - 0.5**k) for k in ks], abs=1e-12)


def test_step_decreasing_rejects_factor_above_one() -> None:
    cfg = StepDecreasingScheduleConfig(max_value=1.0, factor=2.0, decreases_interval=0.5)
    with pytest.raises(ValueError, match="factor <= 1"):
        StepDecreasingSchedule(cfg)
