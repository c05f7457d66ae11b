"""The tracker kinds this package provides, registered as a built-in plugin (torch-free)."""

from __future__ import annotations

import attrs

from noether.core.registry.hookspecs import RegisterFunction, hookimpl
from noether.core.schemas import trackers

_TRACKERS: dict[type, str] = {
    trackers.WandBTrackerSchema: "noether.core.trackers.wandb:WandBTracker",
    trackers.TensorboardTrackerSchema: "noether.core.trackers.tensorboard:TensorboardTracker",
    trackers.TrackioTrackerSchema: "noether.core.trackers.trackio:TrackioTracker",
}


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the trackers under the kind their schema declares."""
    for config, component in _TRACKERS.items():
        register("tracker", attrs.fields(config).kind.default, config=config, component=component)
