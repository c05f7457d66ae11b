"""Constant, custom and periodic schedules; position checks, windows and overhang."""

from __future__ import annotations

from typing import Any

import pytest

from noether.core.schedules import (
    ConstantSchedule,
    CustomSchedule,
    LinearDecreasingSchedule,
    LinearIncreasingSchedule,
    PeriodicBoolSchedule,
)
from noether.core.schemas.schedules import (
    ConstantScheduleConfig,
    CustomScheduleConfig,
    LinearDecreasingScheduleConfig,
    LinearIncreasingScheduleConfig,
    PeriodicBoolScheduleConfig,
)


def test_constant() -> None:
    schedule = ConstantSchedule(ConstantScheduleConfig(value=0.3))
    assert [schedule.get_value(s, 5) for s in range(6)] == [0.3] * 6


def test_custom_values_and_end_position() -> None:
    schedule = CustomSchedule(CustomScheduleConfig(values=[0.5, 0.25, 0.125]))
    assert [schedule.get_value(s, 3) for s in range(4)] == [0.5, 0.25, 0.125, 0.125]
    with pytest.raises(ValueError, match="3 values but step 3 of 5"):
        schedule.get_value(3, 5)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"initial_state": True}, "11000" * 2),
        ({"initial_state": False}, "00011" * 2),
        ({"initial_state": True, "invert": True}, "00111" * 2),
    ],
)
def test_periodic_bool(kwargs: dict[str, Any], pattern: str) -> None:
    cfg = PeriodicBoolScheduleConfig(on_duration=2, off_duration=3, on_value=5.0, off_value=-1.0, **kwargs)
    schedule = PeriodicBoolSchedule(cfg)
    got = [schedule.get_value(s, 10) for s in range(10)]
    assert got == [5.0 if c == "1" else -1.0 for c in pattern]


@pytest.mark.parametrize(("step", "total"), [(-1, 10), (11, 10), (0, -1)])
def test_positions_outside_the_run_are_errors(step: int, total: int) -> None:
    schedule = ConstantSchedule(ConstantScheduleConfig(value=1.0))
    with pytest.raises(ValueError, match=r"must be"):
        schedule.get_value(step, total)


def test_non_integer_positions_are_errors() -> None:
    schedule = ConstantSchedule(ConstantScheduleConfig(value=1.0))
    with pytest.raises(TypeError, match="integers"):
        schedule.get_value(1.5, 10)  # type: ignore[arg-type]


WINDOW = [0.0, 0.0, 0.0, 1 / 3, 2 / 3, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "window", [{"start_step": 2, "end_step": 6}, {"start_percent": 0.2, "end_percent": 0.6}]
)
def test_window_holds_boundary_values(window: dict[str, Any]) -> None:
    schedule = LinearIncreasingSchedule(LinearIncreasingScheduleConfig(max_value=1.0, **window))
    assert [schedule.get_value(s, 10) for s in range(11)] == pytest.approx(WINDOW, abs=1e-12)


def test_window_starting_at_step_zero() -> None:
    cfg = LinearDecreasingScheduleConfig(max_value=1.0, start_step=0, end_step=3)
    schedule = LinearDecreasingSchedule(cfg)
    assert [schedule.get_value(s, 6) for s in range(7)] == pytest.approx([1, 0.5, 0, 0, 0, 0, 0], abs=1e-12)


def test_overhang_steps_and_percent() -> None:
    steps = LinearDecreasingSchedule(LinearDecreasingScheduleConfig(max_value=1.0, overhang_steps=10))
    assert steps.get_value(9, 10) == pytest.approx(1 - 9 / 19, abs=1e-12)
    assert steps.get_value(10, 10) == pytest.approx(1 - 10 / 19, abs=1e-12)
    pct = LinearDecreasingSchedule(LinearDecreasingScheduleConfig(max_value=1.0, overhang_percent=0.5))
    assert pct.get_value(9, 10) == pytest.approx(1 - 9 / 14, abs=1e-12)


def test_overhang_applies_to_the_window() -> None:
    cfg = LinearIncreasingScheduleConfig(max_value=1.0, start_step=2, end_step=6, overhang_steps=4)
    schedule = LinearIncreasingSchedule(cfg)
    # window length 4, stretched to 8 steps: d = 7; after the window it holds the value at inner step 4
    assert schedule.get_value(4, 10) == pytest.approx(2 / 7, abs=1e-12)
    assert schedule.get_value(10, 10) == pytest.approx(4 / 7, abs=1e-12)
