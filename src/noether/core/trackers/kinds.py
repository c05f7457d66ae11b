"""The tracker kinds this package provides, registered as a built-in plugin (torch-free)."""

from __future__ import annotations

from noether.core.registry.hookspecs import RegisterFunction, hookimpl

#: ``(kind suffix under noether.core.trackers, schema class, implementation module)``.
_TRACKERS = (
    ("WandBTracker", "WandBTrackerSchema", "wandb"),
    ("TensorboardTracker", "TensorboardTrackerSchema", "tensorboard"),
    ("TrackioTracker", "TrackioTrackerSchema", "trackio"),
)


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the trackers under the kind their schema declares (schemas imported when used)."""
    for name, schema, module in _TRACKERS:
        register("tracker", f"noether.core.trackers.{name}", config=f"noether.core.schemas.trackers:{schema}",
                 component=f"noether.core.trackers.{module}:{name}")
