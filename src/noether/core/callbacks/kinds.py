"""The callback kinds this package provides, registered as a built-in plugin (torch-free)."""

from __future__ import annotations

from noether.core.registry.hookspecs import RegisterFunction, hookimpl
from noether.core.schemas import callbacks as cb

_MODULE = "noether.core.callbacks"
#: ``name -> (config class, implementation)``.
_CALLBACKS: dict[str, tuple[type, str]] = {
    "CheckpointCallback": (cb.CheckpointCallbackConfig, "checkpoint:CheckpointCallback"),
    "BestCheckpointCallback": (cb.BestCheckpointCallbackConfig, "checkpoint:BestCheckpointCallback"),
    "EmaCallback": (cb.EmaCallbackConfig, "ema:EmaCallback"),
    "OnlineLossCallback": (cb.OnlineLossCallbackConfig, "losses:OnlineLossCallback"),
    "BestMetricCallback": (cb.BestMetricCallbackConfig, "metrics:BestMetricCallback"),
    "TrackAdditionalOutputsCallback": (
        cb.TrackAdditionalOutputsCallbackConfig, "metrics:TrackAdditionalOutputsCallback"
    ),
    "MetricEarlyStopper": (cb.MetricEarlyStopperConfig, "early_stop:MetricEarlyStopper"),
    "FixedEarlyStopper": (cb.FixedEarlyStopperConfig, "early_stop:FixedEarlyStopper"),
    "PeriodicDataIteratorCallback": (
        cb.PeriodicDataIteratorCallbackConfig, "data_iterator:PeriodicDataIteratorCallback"
    ),
}


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the built-in callbacks by their seed names and ``noether.core.callbacks.<Name>``."""
    for name, (config, component) in _CALLBACKS.items():
        register("callback", name, config=config, component=f"{_MODULE}.{component}", aliases=(f"{_MODULE}.{name}",))
    register(
        "callback",
        "OfflineLossCallback",
        config=cb.OfflineLossCallbackConfig,
        component=f"{_MODULE}.losses:OfflineLossCallback",
        aliases=("noether.training.callbacks.OfflineLossCallback", f"{_MODULE}.OfflineLossCallback"),
    )
    # The seed's base class name stays accepted; it is no kind of its own, so listings leave it out.
    register("callback", "BaseCallbacksConfig", config=cb.CallBackBaseConfig, listed=False)
