"""The registry's records: what one registration holds, who provided it, and what became of each plugin.

Also the lazy loading of the ``"module:attr"`` references a registration may hold.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from noether._records import FrozenRecord
from noether.core.errors import Issue

#: A torch-free check a registration may carry: ``config object -> issues`` (paths relative to the object).
Check = Callable[[Any], list[Issue]]


# Frozen records (noether._records) rather than attrs classes, here and below: every start of the CLI creates
# these classes.
class Provider(FrozenRecord):
    """Who registered a component: a plugin name, its distribution and version."""

    __slots__ = __fields__ = __match_args__ = ("plugin", "distribution", "version")
    plugin: str
    distribution: str
    version: str

    def __init__(self, plugin: str, distribution: str, version: str) -> None:
        set_field = object.__setattr__
        set_field(self, "plugin", plugin)
        set_field(self, "distribution", distribution)
        set_field(self, "version", version)

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


class Registration(FrozenRecord):
    """One (family, kind) -> (config class, component) entry."""

    __slots__ = __fields__ = __match_args__ = (
        "family", "kind", "config", "component", "provider", "aliases", "summary", "check", "listed",
    )
    family: str
    kind: str
    config: type | str
    component: type | str | None
    provider: Provider
    aliases: tuple[str, ...]
    summary: str
    #: Run by the converter on every config object of this kind (``noether check`` and every load).
    check: Check | str | None
    #: ``False`` for a name kept only so older configs load (a base class of the seed): listings leave it out.
    listed: bool

    def __init__(self, family: str, kind: str, config: type | str, component: type | str | None,
                 provider: Provider, aliases: tuple[str, ...] = (), summary: str = "",
                 check: Check | str | None = None, listed: bool = True) -> None:
        set_field = object.__setattr__
        set_field(self, "family", family)
        set_field(self, "kind", kind)
        set_field(self, "config", config)
        set_field(self, "component", component)
        set_field(self, "provider", provider)
        set_field(self, "aliases", aliases)
        set_field(self, "summary", summary)
        set_field(self, "check", check)
        set_field(self, "listed", listed)

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

    def run_check(self, config: Any) -> list[Issue]:
        """The issues the registration's check finds in ``config`` (none without a check)."""
        if self.check is None:
            return []
        check: Check = load_reference(self.check)
        return list(check(config))

    def describe(self) -> str:
        """The summary, else the first line of the config class's docstring (``""`` if it cannot be imported)."""
        if self.summary:
            return self.summary
        try:
            doc = self.config_class().__doc__ or ""
        except Exception:  # a listing must not fail on one plugin's broken schema module
            return ""
        first = doc.strip().split("\n\n", 1)[0]
        return " ".join(first.replace("``", "").split())

    @property
    def config_path(self) -> str:
        """The config class as ``module:Class``, without importing it."""
        cfg = self.config
        return cfg if isinstance(cfg, str) else f"{cfg.__module__}:{cfg.__qualname__}"

    @property
    def component_path(self) -> str:
        """The implementation as a dotted path, for messages."""
        comp = self.component
        if comp is None or isinstance(comp, str):
            return str(comp)
        return f"{comp.__module__}.{comp.__qualname__}"


class PluginInfo(FrozenRecord):
    """A loaded plugin: its name, distribution, version and the kinds it registered."""

    __slots__ = __fields__ = __match_args__ = ("name", "distribution", "version", "builtin", "kinds")
    name: str
    distribution: str
    version: str
    builtin: bool
    kinds: tuple[tuple[str, str], ...]

    def __init__(self, name: str, distribution: str, version: str, builtin: bool,
                 kinds: tuple[tuple[str, str], ...] = ()) -> None:
        set_field = object.__setattr__
        set_field(self, "name", name)
        set_field(self, "distribution", distribution)
        set_field(self, "version", version)
        set_field(self, "builtin", builtin)
        set_field(self, "kinds", kinds)


class BrokenPlugin(FrozenRecord):
    """A plugin whose registration module failed to import or to register."""

    __slots__ = __fields__ = __match_args__ = ("name", "distribution", "version", "error")
    name: str
    distribution: str
    version: str
    error: str

    def __init__(self, name: str, distribution: str, version: str, error: str) -> None:
        set_field = object.__setattr__
        set_field(self, "name", name)
        set_field(self, "distribution", distribution)
        set_field(self, "version", version)
        set_field(self, "error", error)
