"""The initializer kinds this package provides, registered as a built-in plugin (torch-free)."""

from __future__ import annotations

import attrs

from noether.core.registry.hookspecs import RegisterFunction, hookimpl
from noether.core.schemas import initializers as ini

_INITIALIZERS: dict[type, str] = {
    ini.CheckpointInitializerConfig: "noether.core.initializers.previous_run:CheckpointInitializer",
    ini.ResumeInitializerConfig: "noether.core.initializers.resume:ResumeInitializer",
    ini.PreviousRunInitializerConfig: "noether.core.initializers.previous_run:PreviousRunInitializer",
}


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the initializers under the kind their schema declares."""
    for config, component in _INITIALIZERS.items():
        register("initializer", attrs.fields(config).kind.default, config=config, component=component)
