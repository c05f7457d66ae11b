"""A plugin schedule that implements only its curve honours the fields every schedule inherits.

The window (``start/end_percent``, ``start/end_step``), the overhang and ``interval`` are applied by the
framework, also to kinds that do not derive from ``ScheduleBase`` (the example plugin's schedule is one; the
kinds here are registered the same way).
"""

from __future__ import annotations

from typing import Any, Literal

import attrs
import pytest

from noether.core.schedules import build_schedule, scheduled_value
from noether.core.schemas import ScheduleBaseConfig


@attrs.frozen(kw_only=True)
class SquareCurveConfig(ScheduleBaseConfig):
    kind: Literal["tmp.SquareCurve"] = "tmp.SquareCurve"  # type: ignore[assignment]


class SquareCurve:
    """Only the curve: progress ``fraction ** 2``; ``start_value``/``end_value`` come from the framework."""

    def __init__(self, config: SquareCurveConfig, **_: Any) -> None:
        self.config = config

    def curve(self, fraction: float) -> float:
        return fraction**2


@attrs.frozen(kw_only=True)
class ExpDecayConfig(ScheduleBaseConfig):
    kind: Literal["tmp.ExpDecay"] = "tmp.ExpDecay"  # type: ignore[assignment]
    start_value: float = 1.0
    rate: float = 0.01


class ExpDecay:
    """Like the example plugin's schedule: ``get_value`` on its own axis, no ``ScheduleBase``."""

    def __init__(self, config: ExpDecayConfig, **_: Any) -> None:
        self.config = config

    def get_value(self, step: int, total_steps: int) -> float:
        assert 0 <= step <= total_steps
        return float(self.config.start_value * self.config.rate ** (step / max(1, total_steps)))


@pytest.fixture(autouse=True)
def _kinds(noether_register: Any) -> None:
    noether_register("schedule", "tmp.ExpDecay", config=ExpDecayConfig,
                     component="tests.plugins.test_plugin_schedules:ExpDecay")
    noether_register("schedule", "tmp.SquareCurve", config=SquareCurveConfig,
                     component="tests.plugins.test_plugin_schedules:SquareCurve")


def _exp(**fields: Any) -> Any:
    return build_schedule(ExpDecayConfig(**fields))


def test_plugin_get_value_schedule_runs_inside_its_window() -> None:
    plain = _exp()
    windowed = _exp(start_percent=0.5, end_percent=1.0)
    assert windowed.get_value(0, 100) == windowed.get_value(50, 100) == 1.0  # holds its first value before
    assert windowed.get_value(75, 100) == pytest.approx(plain.get_value(50, 100))
    assert windowed.get_value(100, 100) == pytest.approx(0.01)
    steps = _exp(start_step=10, end_step=20)
    assert steps.get_value(5, 100) == 1.0 and steps.get_value(30, 100) == pytest.approx(0.01)


def test_plugin_schedule_overhang_and_interval_apply() -> None:
    over = _exp(overhang_percent=1.0)  # stretched to twice the run: ends halfway down its curve
    assert over.get_value(100, 100) == pytest.approx(_exp().get_value(50, 100))
    per_epoch = _exp(interval="epoch")
    # constant within an epoch of 10 updates: evaluated at the epoch's first update
    assert scheduled_value(per_epoch, "epoch", 17, 100, 10) == scheduled_value(per_epoch, "epoch", 10, 100, 10)


def test_curve_only_schedule_gets_start_and_end_values_and_window() -> None:
    schedule = build_schedule(SquareCurveConfig(start_value=2.0, end_value=4.0, start_step=0, end_step=10))
    assert schedule.get_value(0, 20) == 2.0
    assert schedule.get_value(5, 20) == pytest.approx(2.0 + 2.0 * (5 / 9) ** 2, rel=0.2)
    assert schedule.get_value(15, 20) == 4.0  # after the window: its last value
