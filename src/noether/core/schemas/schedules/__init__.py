"""Schedule configs (learning rate, weight decay, any scalar over training), selected by ``kind``.

Each family member lives in a submodule that is imported when a config names its kind (or when the name is
first used here), so that validating a config creates only the schedule classes it uses.
"""

from typing import TYPE_CHECKING

from noether._lazy import lazy_dir, lazy_getattr
from noether.core.schemas.unions import AnyScheduleConfig

if TYPE_CHECKING:
    from noether.core.schemas.schedules.base import ScheduleBaseConfig
    from noether.core.schemas.schedules.constant import ConstantScheduleConfig, CustomScheduleConfig
    from noether.core.schemas.schedules.periodic import PeriodicBoolScheduleConfig
    from noether.core.schemas.schedules.progress import (
        CosineDecreasingScheduleConfig,
        CosineIncreasingScheduleConfig,
        DecreasingProgressScheduleConfig,
        IncreasingProgressScheduleConfig,
        LinearDecreasingScheduleConfig,
        LinearIncreasingScheduleConfig,
        PolynomialDecreasingScheduleConfig,
        PolynomialIncreasingScheduleConfig,
        ProgressScheduleConfig,
        StepDecreasingScheduleConfig,
    )
    from noether.core.schemas.schedules.step import StepFixedScheduleConfig, StepIntervalScheduleConfig
    from noether.core.schemas.schedules.warmup import LinearWarmupCosineDecayScheduleConfig, SchedulerConfig

__all__ = [
    "AnyScheduleConfig",
    "ConstantScheduleConfig",
    "CosineDecreasingScheduleConfig",
    "CosineIncreasingScheduleConfig",
    "CustomScheduleConfig",
    "DecreasingProgressScheduleConfig",
    "IncreasingProgressScheduleConfig",
    "LinearDecreasingScheduleConfig",
    "LinearIncreasingScheduleConfig",
    "LinearWarmupCosineDecayScheduleConfig",
    "PeriodicBoolScheduleConfig",
    "PolynomialDecreasingScheduleConfig",
    "PolynomialIncreasingScheduleConfig",
    "ProgressScheduleConfig",
    "ScheduleBaseConfig",
    "SchedulerConfig",
    "StepDecreasingScheduleConfig",
    "StepFixedScheduleConfig",
    "StepIntervalScheduleConfig",
]

_LAZY = {
    "ConstantScheduleConfig": "noether.core.schemas.schedules.constant",
    "CosineDecreasingScheduleConfig": "noether.core.schemas.schedules.progress",
    "CosineIncreasingScheduleConfig": "noether.core.schemas.schedules.progress",
    "CustomScheduleConfig": "noether.core.schemas.schedules.constant",
    "DecreasingProgressScheduleConfig": "noether.core.schemas.schedules.progress",
    "IncreasingProgressScheduleConfig": "noether.core.schemas.schedules.progress",
    "LinearDecreasingScheduleConfig": "noether.core.schemas.schedules.progress",
    "LinearIncreasingScheduleConfig": "noether.core.schemas.schedules.progress",
    "LinearWarmupCosineDecayScheduleConfig": "noether.core.schemas.schedules.warmup",
    "PeriodicBoolScheduleConfig": "noether.core.schemas.schedules.periodic",
    "PolynomialDecreasingScheduleConfig": "noether.core.schemas.schedules.progress",
    "PolynomialIncreasingScheduleConfig": "noether.core.schemas.schedules.progress",
    "ProgressScheduleConfig": "noether.core.schemas.schedules.progress",
    "ScheduleBaseConfig": "noether.core.schemas.schedules.base",
    "SchedulerConfig": "noether.core.schemas.schedules.warmup",
    "StepDecreasingScheduleConfig": "noether.core.schemas.schedules.progress",
    "StepFixedScheduleConfig": "noether.core.schemas.schedules.step",
    "StepIntervalScheduleConfig": "noether.core.schemas.schedules.step",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
__dir__ = lazy_dir(globals(), _LAZY)
