"""The schedule kinds of the seed, registered as a built-in plugin (torch-free).

Configs are named by ``"module:Class"`` so that validating a config imports only the schedule configs it uses.
"""

from __future__ import annotations

from noether.core.registry.hookspecs import RegisterFunction, hookimpl

_CONFIGS = "noether.core.schemas.schedules."
_COMPONENTS = "noether.core.schedules."
#: ``(kind suffix under noether.core.schedules, config module, implementation module)``; the config class is
#: ``<suffix>Config`` and the implementation ``<suffix>``.
_SCHEDULES = (
    ("ConstantSchedule", "constant", "constant"),
    ("CustomSchedule", "constant", "constant"),
    ("ProgressSchedule", "progress", "progress"),
    ("IncreasingProgressSchedule", "progress", "progress"),
    ("DecreasingProgressSchedule", "progress", "progress"),
    ("LinearIncreasingSchedule", "progress", "progress"),
    ("LinearDecreasingSchedule", "progress", "progress"),
    ("CosineIncreasingSchedule", "progress", "progress"),
    ("CosineDecreasingSchedule", "progress", "progress"),
    ("PolynomialIncreasingSchedule", "progress", "progress"),
    ("PolynomialDecreasingSchedule", "progress", "progress"),
    ("StepDecreasingSchedule", "progress", "step"),
    ("StepFixedSchedule", "step", "step"),
    ("StepIntervalSchedule", "step", "step"),
    ("LinearWarmupCosineDecaySchedule", "warmup", "warmup"),
    ("PeriodicBoolSchedule", "periodic", "periodic"),
)


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the schedules under the seed's kind strings."""
    for name, config_module, component_module in _SCHEDULES:
        register("schedule", _COMPONENTS + name, config=f"{_CONFIGS}{config_module}:{name}Config",
                 component=f"{_COMPONENTS}{component_module}:{name}")
    # The seed's ``SchedulerConfig`` is the base of the warm-up schedulers; it stays accepted, but listings of
    # kinds leave it out (its warm-up + cosine is ``LinearWarmupCosineDecaySchedule``).
    register("schedule", "noether.core.schedules.scheduler.SchedulerConfig", config=f"{_CONFIGS}warmup:SchedulerConfig",
             component="noether.core.schedules.warmup:WarmupCosineScheduler", listed=False)
