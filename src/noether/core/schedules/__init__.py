"""Schedules: values (learning rate, weight decay, any scalar) as a function of the run's progress.

Every schedule is built as ``Schedule(config, default_max_value=None)`` and queried with
``get_value(step, total_steps)``. This package is pure Python (no torch), so ``noether schedule`` and
``noether check`` can evaluate schedules without importing torch.

Names resolve on first use, so that registering the schedule kinds imports none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from noether._lazy import lazy_dir, lazy_getattr

if TYPE_CHECKING:
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

_LAZY = {
    "ConstantSchedule": "noether.core.schedules.constant",
    "CosineDecreasingSchedule": "noether.core.schedules.progress",
    "CosineIncreasingSchedule": "noether.core.schedules.progress",
    "CustomSchedule": "noether.core.schedules.constant",
    "DecreasingProgressSchedule": "noether.core.schedules.progress",
    "IncreasingProgressSchedule": "noether.core.schedules.progress",
    "LinearDecreasingSchedule": "noether.core.schedules.progress",
    "LinearIncreasingSchedule": "noether.core.schedules.progress",
    "LinearWarmupCosineDecaySchedule": "noether.core.schedules.warmup",
    "PeriodicBoolSchedule": "noether.core.schedules.periodic",
    "PolynomialDecreasingSchedule": "noether.core.schedules.progress",
    "PolynomialIncreasingSchedule": "noether.core.schedules.progress",
    "ProgressSchedule": "noether.core.schedules.progress",
    "ScheduleBase": "noether.core.schedules.base",
    "StepDecreasingSchedule": "noether.core.schedules.step",
    "StepFixedSchedule": "noether.core.schedules.step",
    "StepIntervalSchedule": "noether.core.schedules.step",
    "WarmupCosineScheduler": "noether.core.schedules.warmup",
    "build_schedule": "noether.core.schedules.build",
    "check_position": "noether.core.schedules.base",
    "scheduled_value": "noether.core.schedules.interval",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
__dir__ = lazy_dir(globals(), _LAZY)
