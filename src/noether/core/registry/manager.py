"""The one registry: pluggy plugins, discovered once from the ``noether.plugins`` entry-point group.

Discovery imports only each plugin's registration module; implementations are imported when a run builds them.
A plugin that fails to import is recorded as broken and does not affect configs that do not use it.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import os
import threading
from collections.abc import Iterable
from typing import Any

import attrs
import pluggy

from noether.core.registry.errors import KindClashError, PluginLoadError, UnknownKindError
from noether.core.registry.hookspecs import PROJECT_NAME, NoetherHookSpec
from noether.core.registry.registration import Provider, Registration

ENTRY_POINT_GROUP = "noether.plugins"

#: Every component family a kind can belong to.
FAMILIES = (
    "callback",
    "dataset",
    "initializer",
    "model",
    "normalizer",
    "optimizer",
    "param_group_modifier",
    "pipeline",
    "schedule",
    "tracker",
    "trainer",
    "wrapper",
)

#: The framework's own plugins, registered through the same hook as third-party ones.
BUILTIN_PLUGINS = (
    "noether.core.registry.builtin.core",
    "noether.core.registry.builtin.schedules",
    "noether.core.registry.builtin.data",
)

#: Kinds provided by known plugin packages, for install hints when the package is missing.
KNOWN_PROVIDERS = {
    "noether_mlflow.": "noether-mlflow",
    "noether_example_plugin.": "noether-example-plugin",
}

ENV_DISABLE = "NOETHER_DISABLE_PLUGINS"
ENV_NO_AUTOLOAD = "NOETHER_DISABLE_PLUGIN_AUTOLOAD"
ENV_PREFER = "NOETHER_PREFER_PLUGINS"


@attrs.frozen
class PluginInfo:
    """A loaded plugin: its name, distribution, version and the kinds it registered."""

    name: str
    distribution: str
    version: str
    builtin: bool
    kinds: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class BrokenPlugin:
    """A plugin whose registration module failed to import or to register."""

    name: str
    distribution: str
    version: str
    error: str


def _split_env(name: str) -> set[str]:
    return {part.strip() for part in os.environ.get(name, "").split(",") if part.strip()}


class Registry:
    """Maps ``(family, kind)`` to registrations, fed by pluggy plugins."""

    def __init__(
        self,
        *,
        autoload: bool | None = None,
        builtins: Iterable[str] = BUILTIN_PLUGINS,
        disable: Iterable[str] = (),
        prefer: Iterable[str] = (),
    ) -> None:
        self._pm = pluggy.PluginManager(PROJECT_NAME)
        self._pm.add_hookspecs(NoetherHookSpec)
        self._entries: dict[tuple[str, str], list[Registration]] = {}
        self._aliases: dict[tuple[str, str], str] = {}
        self.plugins: list[PluginInfo] = []
        self.broken: list[BrokenPlugin] = []
        self.disabled: list[str] = []
        self._builtins = tuple(builtins)
        self._autoload = autoload
        self._disable = set(disable) | _split_env(ENV_DISABLE)
        self._prefer = set(prefer) | _split_env(ENV_PREFER)
        self._loaded = False
        self._lock = threading.Lock()

    # -- loading -------------------------------------------------------------------------------------------
    def ensure_loaded(self) -> None:
        """Discover and register every plugin once (thread-safe)."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            from noether import __version__

            for module_name in self._builtins:
                provider = Provider(module_name, "noether", __version__)
                try:
                    module = importlib.import_module(module_name)
                except Exception as exc:  # reported like any broken plugin; unrelated kinds keep working
                    self.broken.append(BrokenPlugin(module_name, "noether", __version__,
                                                    f"{type(exc).__name__}: {exc}"))
                    continue
                self._register_plugin(module, module_name, provider, True)
            autoload = self._autoload
            if autoload is None:
                autoload = not os.environ.get(ENV_NO_AUTOLOAD)
            if autoload:
                self._load_entry_points()
            self._loaded = True

    def _load_entry_points(self) -> None:
        disabled = self._disable
        seen: set[str] = set()
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist
            dist_name = dist.metadata["Name"] if dist is not None else "?"
            version = dist.version if dist is not None else "?"
            if ep.name in seen:
                continue
            seen.add(ep.name)
            if ep.name in disabled or dist_name in disabled:
                self.disabled.append(ep.name)
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not break unrelated runs
                self.broken.append(BrokenPlugin(ep.name, dist_name, version, f"{type(exc).__name__}: {exc}"))
                continue
            self._register_plugin(plugin, ep.name, Provider(ep.name, dist_name, version), False)

    def _register_plugin(self, plugin: Any, name: str, provider: Provider, builtin: bool) -> None:
        try:
            self._pm.register(plugin, name=name)
        except Exception as exc:
            self.broken.append(BrokenPlugin(name, provider.distribution, provider.version, str(exc)))
            return
        added: list[tuple[str, str]] = []

        def register(
            family: str,
            kind: str,
            *,
            config: type | str,
            component: type | str | None = None,
            aliases: tuple[str, ...] = (),
            summary: str = "",
        ) -> None:
            if family not in FAMILIES:
                raise ValueError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")
            reg = Registration(family, kind, config, component, provider, tuple(aliases), summary)
            self._entries.setdefault((family, kind), []).append(reg)
            for alias in aliases:
                self._aliases[(family, alias)] = kind
            added.append((family, kind))

        hook = self._pm.hook.noether_register_components
        try:
            for impl in hook.get_hookimpls():
                if impl.plugin is plugin:
                    impl.function(register=register)
        except Exception as exc:
            self.broken.append(
                BrokenPlugin(name, provider.distribution, provider.version, f"{type(exc).__name__}: {exc}")
            )
            for key in added:
                self._entries[key] = [r for r in self._entries[key] if r.provider != provider]
            return
        self.plugins.append(PluginInfo(name, provider.distribution, provider.version, builtin, tuple(added)))

    def add(self, registration: Registration) -> None:
        """Register one entry directly (used by tests and ``noether.testing``)."""
        self.ensure_loaded()
        self._entries.setdefault((registration.family, registration.kind), []).append(registration)
        for alias in registration.aliases:
            self._aliases[(registration.family, alias)] = registration.kind

    def remove(self, registration: Registration) -> None:
        """Undo :meth:`add`."""
        key = (registration.family, registration.kind)
        self._entries[key] = [r for r in self._entries.get(key, []) if r is not registration]
        if not self._entries[key]:
            del self._entries[key]
        for alias in registration.aliases:
            self._aliases.pop((registration.family, alias), None)

    # -- lookup --------------------------------------------------------------------------------------------
    def kinds(self, family: str) -> list[str]:
        """Every registered kind of a family, sorted."""
        self.ensure_loaded()
        return sorted(kind for fam, kind in self._entries if fam == family)

    def registrations(self) -> list[Registration]:
        """Every registration (each provider of a clashing kind included)."""
        self.ensure_loaded()
        return [reg for regs in self._entries.values() for reg in regs]

    def find(self, family: str, kind: str) -> Registration | None:
        """The registration of ``kind`` (or an alias of it), ``None`` if none; a clash raises."""
        self.ensure_loaded()
        key = (family, kind)
        if key not in self._entries and (family, kind) in self._aliases:
            key = (family, self._aliases[(family, kind)])
        regs = self._entries.get(key)
        if not regs:
            return None
        if len(regs) == 1:
            return regs[0]
        preferred = self._prefer
        chosen = [r for r in regs if r.provider.distribution in preferred or r.provider.plugin in preferred]
        if len(chosen) == 1:
            return chosen[0]
        names = " and ".join(f"'{r.provider.distribution}' ({r.provider}, plugin '{r.provider.plugin}')"
                             for r in regs)
        raise KindClashError(
            f"{family} kind '{key[1]}' is registered by {names}. Uninstall one, disable one with "
            f"{ENV_DISABLE}=<plugin>, or choose with {ENV_PREFER}=<distribution>."
        )

    def resolve(self, family: str, kind: str, *, allow_import: bool = True) -> Registration:
        """The registration of ``kind``; a dotted class path is imported as a last resort.

        Raises :class:`UnknownKindError` with close matches, the family's kinds, what was tried, and an
        install hint when a known plugin package provides the kind.
        """
        found = self.find(family, kind)
        if found is not None:
            return found
        tried = ""
        if allow_import and "." in kind:
            try:
                obj = _import_dotted(kind)
            except ImportError as exc:
                tried = f"importing '{kind}' as a class path failed: {exc}"
            except AttributeError as exc:
                tried = f"importing '{kind}' as a class path failed: {exc}"
            else:
                config = getattr(obj, "config_class", None) or _FAMILY_BASE_CONFIG.get(family)
                if config is None:
                    tried = f"'{kind}' was imported but {family}s need a registered config class"
                else:
                    return Registration(family, kind, config, obj, Provider("import path", kind, "-"))
        raise self.unknown_kind(family, kind, tried)

    def unknown_kind(self, family: str, kind: str, tried: str = "") -> UnknownKindError:
        """Build the error for an unknown kind (close matches, known kinds, hints)."""
        self.ensure_loaded()
        known = self.kinds(family) + sorted(a for (fam, a) in self._aliases if fam == family)
        short = {k.rsplit(".", 1)[-1]: k for k in known}
        close = difflib.get_close_matches(kind, known, n=3, cutoff=0.6)
        close += [short[s] for s in difflib.get_close_matches(kind.rsplit(".", 1)[-1], list(short), n=3)
                  if short[s] not in close]
        lines = [f"unknown {family} kind '{kind}'"]
        if close:
            lines.append("did you mean: " + ", ".join(f"'{c}'" for c in close[:3]) + "?")
        for prefix, dist in KNOWN_PROVIDERS.items():
            if kind.startswith(prefix):
                lines.append(f"'{kind}' is provided by the package '{dist}': pip install {dist}")
        if tried:
            lines.append(tried)
        for broken in self.broken:
            lines.append(f"note: plugin '{broken.name}' ({broken.distribution}) failed to load: {broken.error}")
        lines.append(f"known {family} kinds: " + (", ".join(self.kinds(family)) or "(none)"))
        return UnknownKindError(family, kind, "; ".join(lines), close)

    def build(self, family: str, config: Any, *args: Any, kind: str | None = None, **kwargs: Any) -> Any:
        """Instantiate the component for ``config``: ``Component(config, *args, **kwargs)``."""
        kind = kind or config.kind
        reg = self.resolve(family, kind)
        try:
            cls = reg.component_class()
        except ImportError as exc:
            raise PluginLoadError(
                f"{family} kind '{kind}' ({reg.provider}) could not be imported: {type(exc).__name__}: {exc}"
            ) from exc
        return cls(config, *args, **kwargs)


def _import_dotted(path: str) -> Any:
    module_name, _, attr = path.rpartition(".")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise AttributeError(f"module '{module_name}' has no attribute '{attr}'") from None


def _base_configs() -> dict[str, type]:
    from noether.core.schemas import (
        BaseTrainerConfig,
        CallBackBaseConfig,
        DatasetBaseConfig,
        ModelBaseConfig,
    )

    return {
        "callback": CallBackBaseConfig,
        "dataset": DatasetBaseConfig,
        "model": ModelBaseConfig,
        "trainer": BaseTrainerConfig,
    }


class _LazyBaseConfigs(dict[str, type]):
    def get(self, key: str, default: Any = None) -> Any:
        if not self:
            self.update(_base_configs())
        return super().get(key, default)


_FAMILY_BASE_CONFIG = _LazyBaseConfigs()

_REGISTRY: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry (plugins discovered on first use)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = Registry()
    return _REGISTRY


def configure_registry(*, disable: Iterable[str] = (), autoload: bool = True, prefer: Iterable[str] = ()) -> Registry:
    """Apply a config's ``plugins`` section: a new process-wide registry when the settings differ."""
    global _REGISTRY
    current = _REGISTRY
    wanted = (set(disable) | _split_env(ENV_DISABLE), set(prefer) | _split_env(ENV_PREFER), autoload)
    if current is not None:
        have = (current._disable, current._prefer, current._autoload is not False)
        if have == wanted:
            return current
    if not disable and autoload and not prefer and current is not None and current._autoload is None:
        return current
    _REGISTRY = Registry(autoload=None if autoload else False, disable=disable, prefer=prefer)
    return _REGISTRY


def set_registry(registry: Registry | None) -> Registry | None:
    """Replace the process-wide registry (for tests); returns the previous one."""
    global _REGISTRY
    previous, _REGISTRY = _REGISTRY, registry
    return previous
