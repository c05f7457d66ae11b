"""The callback kinds this package provides, registered as a built-in plugin (torch-free).

Configs are named by ``"module:Class"`` so that validating a config imports only the callback configs it uses.
"""

from __future__ import annotations

from noether.core.registry.hookspecs import RegisterFunction, hookimpl

_MODULE = "noether.core.callbacks"
_CONFIGS = "noether.core.schemas.callbacks."
#: ``name -> (config module:class under noether.core.schemas.callbacks, implementation)``.
_CALLBACKS: dict[str, tuple[str, str]] = {
    "CheckpointCallback": (_CONFIGS + "checkpoint:CheckpointCallbackConfig", "checkpoint:CheckpointCallback"),
    "BestCheckpointCallback": (
        _CONFIGS + "checkpoint:BestCheckpointCallbackConfig", "checkpoint:BestCheckpointCallback"
    ),
    "EmaCallback": (_CONFIGS + "ema:EmaCallbackConfig", "ema:EmaCallback"),
    "OnlineLossCallback": (_CONFIGS + "losses:OnlineLossCallbackConfig", "losses:OnlineLossCallback"),
    "BestMetricCallback": (_CONFIGS + "metrics:BestMetricCallbackConfig", "metrics:BestMetricCallback"),
    "TrackAdditionalOutputsCallback": (
        _CONFIGS + "metrics:TrackAdditionalOutputsCallbackConfig", "metrics:TrackAdditionalOutputsCallback"
    ),
    "MetricEarlyStopper": (_CONFIGS + "early_stop:MetricEarlyStopperConfig", "early_stop:MetricEarlyStopper"),
    "FixedEarlyStopper": (_CONFIGS + "early_stop:FixedEarlyStopperConfig", "early_stop:FixedEarlyStopper"),
    "PeriodicDataIteratorCallback": (
        _CONFIGS + "base:PeriodicDataIteratorCallbackConfig", "data_iterator:PeriodicDataIteratorCallback"
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
        config=_CONFIGS + "losses:OfflineLossCallbackConfig",
        component=f"{_MODULE}.losses:OfflineLossCallback",
        aliases=("noether.training.callbacks.OfflineLossCallback", f"{_MODULE}.OfflineLossCallback"),
    )
    # The seed's base class name stays accepted; it is no kind of its own, so listings leave it out.
    register("callback", "BaseCallbacksConfig", config=_CONFIGS + "base:CallBackBaseConfig", listed=False)
