"""The schedule kinds of the seed, registered as a built-in plugin (torch-free)."""

from __future__ import annotations

import attrs

from noether.core.registry.hookspecs import RegisterFunction, hookimpl
from noether.core.schemas import schedules as s

#: ``config class -> module:Class`` under ``noether.core.schedules``.
_COMPONENTS: dict[type, str] = {
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
}


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the schedules under the seed's kind strings."""
    for config, component in _COMPONENTS.items():
        register("schedule", attrs.fields(config).kind.default, config=config,
                 component="noether.core.schedules." + component)
    # The seed's ``SchedulerConfig`` is the base of the warm-up schedulers; it stays accepted, but listings of
    # kinds leave it out (its warm-up + cosine is ``LinearWarmupCosineDecaySchedule``).
    register("schedule", "noether.core.schedules.scheduler.SchedulerConfig", config=s.SchedulerConfig,
             component="noether.core.schedules.warmup:WarmupCosineScheduler", listed=False)
