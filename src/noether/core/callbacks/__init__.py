"""Callbacks: code that runs at fixed points of training (before, after updates/epochs, after training).

Names resolve lazily so that importing this package does not import torch.
"""

from __future__ import annotations

from noether._lazy import lazy_getattr

_LAZY = {
    "CallbackBase": "noether.core.callbacks.base",
    "PeriodicCallback": "noether.core.callbacks.base",
    "EarlyStopIteration": "noether.core.callbacks.base",
    "CallbackContext": "noether.core.callbacks.context",
    "Event": "noether.core.callbacks.context",
    "MetricSink": "noether.core.callbacks.context",
    "CheckpointCallback": "noether.core.callbacks.checkpoint",
    "BestCheckpointCallback": "noether.core.callbacks.checkpoint",
    "EmaCallback": "noether.core.callbacks.ema",
    "OnlineLossCallback": "noether.core.callbacks.losses",
    "OfflineLossCallback": "noether.core.callbacks.losses",
    "BestMetricCallback": "noether.core.callbacks.metrics",
    "TrackAdditionalOutputsCallback": "noether.core.callbacks.metrics",
    "MetricEarlyStopper": "noether.core.callbacks.early_stop",
    "FixedEarlyStopper": "noether.core.callbacks.early_stop",
    "PeriodicDataIteratorCallback": "noether.core.callbacks.data_iterator",
}


__getattr__ = lazy_getattr("noether.core.callbacks", _LAZY)
