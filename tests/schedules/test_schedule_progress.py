"""Progress schedules against hand-computed values (1e-9)."""

from __future__ import annotations

import math

import pytest

from noether.core.schedules import (
    CosineDecreasingSchedule,
    CosineIncreasingSchedule,
    DecreasingProgressSchedule,
    IncreasingProgressSchedule,
    LinearDecreasingSchedule,
    LinearIncreasingSchedule,
    PolynomialDecreasingSchedule,
    PolynomialIncreasingSchedule,
    ProgressSchedule,
)
from noether.core.schedules.base import ScheduleBase
from noether.core.schemas.schedules import (
    CosineDecreasingScheduleConfig,
    CosineIncreasingScheduleConfig,
    DecreasingProgressScheduleConfig,
    IncreasingProgressScheduleConfig,
    LinearDecreasingScheduleConfig,
    LinearIncreasingScheduleConfig,
    PolynomialDecreasingScheduleConfig,
    PolynomialIncreasingScheduleConfig,
    ProgressScheduleConfig,
)

COS_QUARTER = (1 - math.cos(math.pi / 4)) / 2  # 0.14644660940672624, by hand: (1 - sqrt(2)/2) / 2


def values(schedule: ScheduleBase, total: int) -> list[float]:
    return [schedule.get_value(step, total) for step in range(total + 1)]


def test_linear_decreasing_reaches_end_on_last_update_and_holds_it() -> None:
    schedule = LinearDecreasingSchedule(LinearDecreasingScheduleConfig(max_value=1.0, end_value=0.0))
    expected = [1 - k / 10 for k in range(11)] + [0.0]  # step == total is clamped, not 1 - 11/10
    assert values(schedule, 11) == pytest.approx(expected, abs=1e-9)
    assert schedule.get_value(11, 11) == 0.0


def test_linear_decreasing_exclude_last() -> None:
    cfg = LinearDecreasingScheduleConfig(max_value=1.0, end_value=0.0, exclude_last=True)
    got = values(LinearDecreasingSchedule(cfg), 11)
    assert got[:11] == pytest.approx([1 - k / 11 for k in range(11)], abs=1e-9)
    assert got[10] == pytest.approx(1 / 11, abs=1e-12)
    assert got[11] == 0.0


def test_linear_increasing_exclusions() -> None:
    first = LinearIncreasingScheduleConfig(max_value=1.0, exclude_first=True)
    assert values(LinearIncreasingSchedule(first), 4)[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0], abs=1e-9)
    both = LinearIncreasingScheduleConfig(max_value=1.0, exclude_first=True, exclude_last=True)
    assert values(LinearIncreasingSchedule(both), 4)[:4] == pytest.approx([0.2, 0.4, 0.6, 0.8], abs=1e-9)


def test_linear_increasing_with_start_value() -> None:
    cfg = LinearIncreasingScheduleConfig(start_value=0.5, max_value=2.5)
    assert values(LinearIncreasingSchedule(cfg), 5) == pytest.approx([0.5, 1.0, 1.5, 2.0, 2.5, 2.5], abs=1e-9)


def test_cosine_increasing_and_decreasing() -> None:
    inc = CosineIncreasingSchedule(CosineIncreasingScheduleConfig(max_value=1.0))
    assert values(inc, 5) == pytest.approx([0.0, COS_QUARTER, 0.5, 1 - COS_QUARTER, 1.0, 1.0], abs=1e-9)
    dec = CosineDecreasingSchedule(CosineDecreasingScheduleConfig(max_value=2.0, end_value=0.0))
    expected = [2.0, 2 * (1 - COS_QUARTER), 1.0, 2 * COS_QUARTER, 0.0, 0.0]
    assert values(dec, 5) == pytest.approx(expected, abs=1e-9)


def test_cosine_does_not_overshoot_at_total() -> None:
    dec = CosineDecreasingSchedule(CosineDecreasingScheduleConfig(max_value=1.0, end_value=0.0))
    assert dec.get_value(100, 100) == 0.0  # upstream gave 0.00025
    assert dec.get_value(99, 100) == 0.0


def test_polynomial_schedules_power_two() -> None:
    dec = PolynomialDecreasingSchedule(PolynomialDecreasingScheduleConfig(max_value=1.0, power=2.0))
    assert values(dec, 5) == pytest.approx([1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0], abs=1e-9)
    inc = PolynomialIncreasingSchedule(PolynomialIncreasingScheduleConfig(max_value=1.0, power=2.0))
    assert values(inc, 5) == pytest.approx([0.0, 0.4375, 0.75, 0.9375, 1.0, 1.0], abs=1e-9)


def test_polynomial_decreasing_to_nonzero_end() -> None:
    cfg = PolynomialDecreasingScheduleConfig(max_value=1.0, end_value=0.2, power=0.5)
    got = values(PolynomialDecreasingSchedule(cfg), 5)
    # end + (max - end) * (1 - p) ** 0.5 with p = s / 4
    assert got[:5] == pytest.approx([0.2 + 0.8 * (1 - s / 4) ** 0.5 for s in range(5)], abs=1e-9)


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (ProgressSchedule(ProgressScheduleConfig(start_value=1.0, end_value=3.0)), [1.0, 1.5, 2.0, 2.5, 3.0]),
        (
            IncreasingProgressSchedule(IncreasingProgressScheduleConfig(max_value=2.0)),
            [0.0, 0.5, 1.0, 1.5, 2.0],
        ),
        (
            DecreasingProgressSchedule(DecreasingProgressScheduleConfig(max_value=2.0)),
            [2.0, 1.5, 1.0, 0.5, 0.0],
        ),
    ],
)
def test_abstract_upstream_progress_kinds_are_linear(schedule: ScheduleBase, expected: list[float]) -> None:
    assert values(schedule, 5)[:5] == pytest.approx(expected, abs=1e-9)


def test_single_step_run_gives_start_value() -> None:
    dec = LinearDecreasingSchedule(LinearDecreasingScheduleConfig(max_value=1.0, end_value=0.0))
    assert dec.get_value(0, 1) == 1.0
    assert dec.get_value(1, 1) == 0.0
    assert dec.get_value(0, 0) == 1.0
