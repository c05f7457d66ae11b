"""Schedules: values (learning rate, weight decay, any scalar) as a function of the run's progress.

Every schedule is built as ``Schedule(config, default_max_value=None)`` and queried with
``get_value(step, total_steps)``. This package is pure Python (no torch), so ``noether schedule`` and
``noether check`` can evaluate schedules without importing torch.
"""

from __future__ import annotations

from noether.core.schedules.base import ScheduleBase, check_position
from noether.core.schedules.build import build_schedule
from noether.core.schedules.constant import ConstantSchedule, CustomSchedule
from noether.core.schedules.interval import scheduled_value
from noether.core.schedules.periodic import PeriodicBoolSchedule
from noether.core.schedules.progress import (
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
from noether.core.schedules.step import StepDecreasingSchedule, StepFixedSchedule, StepIntervalSchedule
from noether.core.schedules.warmup import LinearWarmupCosineDecaySchedule, WarmupCosineScheduler

__all__ = [
    "ConstantSchedule",
    "CosineDecreasingSchedule",
    "CosineIncreasingSchedule",
    "CustomSchedule",
    "DecreasingProgressSchedule",
    "IncreasingProgressSchedule",
    "LinearDecreasingSchedule",
    "LinearIncreasingSchedule",
    "LinearWarmupCosineDecaySchedule",
    "PeriodicBoolSchedule",
    "PolynomialDecreasingSchedule",
    "PolynomialIncreasingSchedule",
    "ProgressSchedule",
    "ScheduleBase",
    "StepDecreasingSchedule",
    "StepFixedSchedule",
    "StepIntervalSchedule",
    "WarmupCosineScheduler",
    "build_schedule",
    "check_position",
    "scheduled_value",
]
