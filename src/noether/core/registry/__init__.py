"""The plugin registry: resolves every ``kind`` (and callback ``name``) to a config class and a component."""

from noether.core.registry.errors import KindClashError, PluginLoadError, RegistryError, UnknownKindError
from noether.core.registry.hookspecs import hookimpl
from noether.core.registry.manager import (
    Registry,
    get_registry,
    registry_for,
    registry_for_plugins,
    set_registry,
    use_registry,
)
from noether.core.registry.registration import BrokenPlugin, PluginInfo, Provider, Registration
from noether.core.registry.settings import ENTRY_POINT_GROUP, FAMILIES

__all__ = [
    "ENTRY_POINT_GROUP",
    "FAMILIES",
    "BrokenPlugin",
    "KindClashError",
    "PluginInfo",
    "PluginLoadError",
    "Provider",
    "Registration",
    "Registry",
    "RegistryError",
    "UnknownKindError",
    "get_registry",
    "hookimpl",
    "registry_for",
    "registry_for_plugins",
    "set_registry",
    "use_registry",
]
