"""Callback configs. A callback list item is selected by its ``name`` (or, without one, by ``kind``).

Each callback config lives in a submodule that is imported when a config names it (or when the name is first
used here), so that validating a config creates only the callback classes it uses.
"""

from typing import TYPE_CHECKING

from noether._lazy import lazy_dir, lazy_getattr
from noether.core.schemas.callbacks.base import CallBackBaseConfig, CallbacksConfig

if TYPE_CHECKING:
    from noether.core.schemas.callbacks.base import PeriodicDataIteratorCallbackConfig
    from noether.core.schemas.callbacks.checkpoint import BestCheckpointCallbackConfig, CheckpointCallbackConfig
    from noether.core.schemas.callbacks.early_stop import FixedEarlyStopperConfig, MetricEarlyStopperConfig
    from noether.core.schemas.callbacks.ema import EmaCallbackConfig
    from noether.core.schemas.callbacks.losses import OfflineLossCallbackConfig, OnlineLossCallbackConfig
    from noether.core.schemas.callbacks.metrics import BestMetricCallbackConfig, TrackAdditionalOutputsCallbackConfig

__all__ = [
    "BestCheckpointCallbackConfig",
    "BestMetricCallbackConfig",
    "CallBackBaseConfig",
    "CallbacksConfig",
    "CheckpointCallbackConfig",
    "EmaCallbackConfig",
    "FixedEarlyStopperConfig",
    "MetricEarlyStopperConfig",
    "OfflineLossCallbackConfig",
    "OnlineLossCallbackConfig",
    "PeriodicDataIteratorCallbackConfig",
    "TrackAdditionalOutputsCallbackConfig",
]

_LAZY = {
    "BestCheckpointCallbackConfig": "noether.core.schemas.callbacks.checkpoint",
    "BestMetricCallbackConfig": "noether.core.schemas.callbacks.metrics",
    "CheckpointCallbackConfig": "noether.core.schemas.callbacks.checkpoint",
    "EmaCallbackConfig": "noether.core.schemas.callbacks.ema",
    "FixedEarlyStopperConfig": "noether.core.schemas.callbacks.early_stop",
    "MetricEarlyStopperConfig": "noether.core.schemas.callbacks.early_stop",
    "OfflineLossCallbackConfig": "noether.core.schemas.callbacks.losses",
    "OnlineLossCallbackConfig": "noether.core.schemas.callbacks.losses",
    "PeriodicDataIteratorCallbackConfig": "noether.core.schemas.callbacks.base",
    "TrackAdditionalOutputsCallbackConfig": "noether.core.schemas.callbacks.metrics",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
__dir__ = lazy_dir(globals(), _LAZY)
