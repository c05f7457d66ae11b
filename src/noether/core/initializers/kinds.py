"""The initializer kinds this package provides, registered as a built-in plugin (torch-free)."""

from __future__ import annotations

from noether.core.registry.hookspecs import RegisterFunction, hookimpl

_CONFIGS = "noether.core.schemas.initializers:"
#: ``(kind suffix under noether.core.initializers, implementation module)``; the config is ``<suffix>Config``.
_INITIALIZERS = (
    ("CheckpointInitializer", "previous_run"),
    ("ResumeInitializer", "resume"),
    ("PreviousRunInitializer", "previous_run"),
)


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the initializers under the kind their schema declares (configs imported when used)."""
    for name, module in _INITIALIZERS:
        register("initializer", f"noether.core.initializers.{name}", config=f"{_CONFIGS}{name}Config",
                 component=f"noether.core.initializers.{module}:{name}")
