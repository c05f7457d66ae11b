"""Evaluating schedules per update and per epoch; building them through the registry."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import attrs
import pytest

from noether.core.registry import get_registry
from noether.core.schedules import LinearIncreasingSchedule, build_schedule, scheduled_value
from noether.core.schemas import schedules as s


def linear() -> LinearIncreasingSchedule:
    return LinearIncreasingSchedule(s.LinearIncreasingScheduleConfig(max_value=1.0))


def test_update_interval_reaches_end_on_last_update() -> None:
    got = [scheduled_value(linear(), "update", u, 10, 5) for u in range(10)]
    assert got == pytest.approx([u / 9 for u in range(10)], abs=1e-12)


def test_epoch_interval_is_piecewise_constant() -> None:
    got = [scheduled_value(linear(), "epoch", u, 9, 3) for u in range(9)]
    assert got == pytest.approx([0, 0, 0, 3 / 8, 3 / 8, 3 / 8, 6 / 8, 6 / 8, 6 / 8], abs=1e-12)


def test_epoch_interval_with_partial_last_epoch() -> None:
    got = [scheduled_value(linear(), "epoch", u, 8, 3) for u in range(8)]
    # end epoch = 2, so total = 6 on the schedule's axis; the trailing partial epoch holds the end value
    assert got == pytest.approx([0, 0, 0, 3 / 5, 3 / 5, 3 / 5, 1, 1], abs=1e-12)


@pytest.mark.parametrize(
    ("interval", "update", "total", "upe", "match"),
    [
        ("epoch", 0, 10, 0, "updates_per_epoch"),
        ("epoch", 11, 10, 5, "update must be"),
        ("step", 0, 1, 1, "interval"),
    ],
)
def test_bad_arguments(interval: str, update: int, total: int, upe: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        scheduled_value(linear(), interval, update, total, upe)


SAMPLES: dict[type, dict[str, Any]] = {
    s.ConstantScheduleConfig: {"value": 1.0},
    s.CustomScheduleConfig: {"values": [1.0, 0.5]},
    s.ProgressScheduleConfig: {},
    s.IncreasingProgressScheduleConfig: {"max_value": 1.0},
    s.DecreasingProgressScheduleConfig: {"max_value": 1.0},
    s.LinearIncreasingScheduleConfig: {"max_value": 1.0},
    s.LinearDecreasingScheduleConfig: {"max_value": 1.0},
    s.CosineIncreasingScheduleConfig: {"max_value": 1.0},
    s.CosineDecreasingScheduleConfig: {"max_value": 1.0},
    s.PolynomialIncreasingScheduleConfig: {"max_value": 1.0},
    s.PolynomialDecreasingScheduleConfig: {"max_value": 1.0},
    s.StepDecreasingScheduleConfig: {"max_value": 1.0, "factor": 0.5, "decreases_interval": 0.5},
    s.StepFixedScheduleConfig: {"factor": 0.5, "steps": [0.5]},
    s.StepIntervalScheduleConfig: {"factor": 0.5, "update_interval": 0.5},
    s.LinearWarmupCosineDecayScheduleConfig: {"warmup_steps": 1},
    s.PeriodicBoolScheduleConfig: {"initial_state": True},
    s.SchedulerConfig: {"warmup_percent": 0.1, "end_value": 0.0},
}


@pytest.mark.parametrize("config_class", list(SAMPLES), ids=lambda c: c.__name__)
def test_every_registered_kind_builds(config_class: type) -> None:
    config = config_class(**SAMPLES[config_class])
    schedule = build_schedule(config, default_max_value=1.0)
    assert 0.0 <= schedule.get_value(1, 2) <= 1.0
    reg = get_registry().resolve("schedule", attrs.fields(config_class).kind.default)
    assert isinstance(schedule, reg.component_class())


def test_every_registered_kind_is_sampled() -> None:
    builtin = {attrs.fields(c).kind.default for c in SAMPLES}
    assert builtin <= set(get_registry().kinds("schedule"))


def test_schedules_do_not_import_torch() -> None:
    code = "import sys, noether.core.schedules; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
