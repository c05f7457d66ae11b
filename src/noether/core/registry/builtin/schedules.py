"""Registration of every schedule kind of the seed."""

from __future__ import annotations

import attrs

from noether.core.registry.hookspecs import RegisterFunction, hookimpl
from noether.core.schemas import Schema
from noether.core.schemas import schedules as s

_COMPONENTS: dict[type[Schema], str] = {
    s.ConstantScheduleConfig: "constant:ConstantSchedule",
    s.CustomScheduleConfig: "constant:CustomSchedule",
    s.ProgressScheduleConfig: "progress:ProgressSchedule",
    s.IncreasingProgressScheduleConfig: "progress:IncreasingProgressSchedule",
    s.DecreasingProgressScheduleConfig: "progress:DecreasingProgressSchedule",
    s.LinearIncreasingScheduleConfig: "progress:LinearIncreasingSchedule",
    s.LinearDecreasingScheduleConfig: "progress:LinearDecreasingSchedule",
    s.CosineIncreasingScheduleConfig: "progress:CosineIncreasingSchedule",
    s.CosineDecreasingScheduleConfig: "progress:CosineDecreasingSchedule",
    s.PolynomialIncreasingScheduleConfig: "progress:PolynomialIncreasingSchedule",
    s.PolynomialDecreasingScheduleConfig: "progress:PolynomialDecreasingSchedule",
    s.StepDecreasingScheduleConfig: "step:StepDecreasingSchedule",
    s.StepFixedScheduleConfig: "step:StepFixedSchedule",
    s.StepIntervalScheduleConfig: "step:StepIntervalSchedule",
    s.LinearWarmupCosineDecayScheduleConfig: "warmup:LinearWarmupCosineDecaySchedule",
    s.PeriodicBoolScheduleConfig: "periodic:PeriodicBoolSchedule",
    s.SchedulerConfig: "warmup:WarmupCosineScheduler",
}


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the schedules under the seed's kind strings."""
    for config, component in _COMPONENTS.items():
        kind = attrs.fields(config).kind.default
        register("schedule", kind, config=config, component="noether.core.schedules." + component)
