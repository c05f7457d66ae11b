"""What one registration holds, and lazy loading of ``"module:attr"`` references."""

from __future__ import annotations

import importlib
from typing import Any

import attrs


@attrs.frozen
class Provider:
    """Who registered a component: a plugin name, its distribution and version."""

    plugin: str
    distribution: str
    version: str

    def __str__(self) -> str:
        return f"{self.distribution}=={self.version}"


def load_reference(ref: Any) -> Any:
    """Return ``ref`` itself, or import ``"module:attr"`` (``"module.attr"`` also accepted)."""
    if not isinstance(ref, str):
        return ref
    module_name, sep, attr = ref.partition(":")
    if not sep:
        module_name, _, attr = ref.rpartition(".")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


@attrs.frozen
class Registration:
    """One (family, kind) -> (config class, component) entry."""

    family: str
    kind: str
    config: type | str
    component: type | str | None
    provider: Provider
    aliases: tuple[str, ...] = ()
    summary: str = ""

    def config_class(self) -> type:
        """The schema class (imported on first use)."""
        cls = load_reference(self.config)
        if not isinstance(cls, type):
            raise TypeError(f"{self.kind}: config {self.config!r} is not a class")
        return cls

    def component_class(self) -> Any:
        """The implementation (imported on first use)."""
        if self.component is None:
            raise LookupError(f"{self.family} kind '{self.kind}' has a config but no implementation")
        return load_reference(self.component)

    @property
    def component_path(self) -> str:
        """The implementation as a dotted path, for messages."""
        comp = self.component
        if comp is None or isinstance(comp, str):
            return str(comp)
        return f"{comp.__module__}.{comp.__qualname__}"
