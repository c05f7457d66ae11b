"""The one registry: fills the kind table from pluggy plugins, discovered once from the ``noether.plugins`` group.

Also which registry is in use (:func:`get_registry`, :func:`use_registry`, :func:`registry_for`). The entry
points come from :mod:`noether.core.registry.discovery`, which remembers the scan on disk between runs; the
table and its lookups are :mod:`~noether.core.registry.table`, the built-in plugins
:mod:`~noether.core.registry.builtin`, the checks of a plugin's hooks :mod:`~noether.core.registry.hook_checks`,
unknown kinds (class paths, suggestions) :mod:`~noether.core.registry.resolution`.

Discovery imports only each plugin's registration module; implementations are imported when a run builds them.
A plugin that fails to import is recorded as broken and does not affect configs that do not use it.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import pluggy

from noether.core.registry import discovery
from noether.core.registry.builtin import (
    BUILTIN_GROUP_NAME,
    BUILTIN_PLUGINS,
    CORE_PLUGINS,
    group_plugin,
    registers_only,
)
from noether.core.registry.errors import PluginLoadError, UnknownKindError
from noether.core.registry.hook_checks import hook_name_problem
from noether.core.registry.hookspecs import PROJECT_NAME, NoetherHookSpec
from noether.core.registry.registration import BrokenPlugin, PluginInfo, Provider, Registration
from noether.core.registry.resolution import (
    KNOWN_PROVIDERS,
    NEVER_IMPORTED,
    base_configs,
    close_matches,
    import_dotted,
    importable_path,
    plugin_note,
    unknown_kind_error,
)
from noether.core.registry.settings import (
    ENTRY_POINT_GROUP,
    ENV_DISABLE,
    ENV_NO_AUTOLOAD,
    ENV_PREFER,
    FAMILIES,
    split_env,
)
from noether.core.registry.table import KindTable

#: The names this module has always offered (most now defined in the modules above), importable from here.
__all__ = [
    "BUILTIN_GROUP_NAME", "BUILTIN_PLUGINS", "CORE_PLUGINS", "ENTRY_POINT_GROUP", "ENV_DISABLE", "ENV_NO_AUTOLOAD",
    "ENV_PREFER", "FAMILIES", "KNOWN_PROVIDERS", "NEVER_IMPORTED", "BrokenPlugin", "PluginInfo", "Registry",
    "get_registry", "hook_name_problem", "import_dotted", "importable_path", "registry_for", "registry_for_plugins",
    "set_registry", "use_registry",
]


class Registry(KindTable):
    """Maps ``(family, kind)`` to registrations, fed by pluggy plugins."""

    def __init__(
        self,
        *,
        autoload: bool | None = None,
        builtins: Iterable[str] = BUILTIN_PLUGINS,
        disable: Iterable[str] = (),
        prefer: Iterable[str] = (),
    ) -> None:
        super().__init__(prefer=set(prefer) | split_env(ENV_PREFER))
        self._pm = pluggy.PluginManager(PROJECT_NAME)
        self._pm.add_hookspecs(NoetherHookSpec)
        self.plugins: list[PluginInfo] = []
        self.broken: list[BrokenPlugin] = []
        self.disabled: list[str] = []
        self._disabled_packages: dict[str, str] = {}
        self._builtins = tuple(builtins)
        self._autoload = autoload
        self._disable = set(disable) | split_env(ENV_DISABLE)
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
            from noether._version import __version__

            batch: list[tuple[str, Any]] = []  # consecutive modules registered together (see _register_builtins)
            for module_name in self._builtins:
                provider = Provider(module_name, "noether", __version__)
                try:
                    module = importlib.import_module(module_name)
                except Exception as exc:  # reported like any broken plugin; unrelated kinds keep working
                    self._register_builtins(batch, __version__)
                    batch = []
                    self.broken.append(BrokenPlugin(module_name, "noether", __version__,
                                                    f"{type(exc).__name__}: {exc}"))
                    continue
                if registers_only(module):
                    batch.append((module_name, module))
                    continue
                self._register_builtins(batch, __version__)
                batch = []
                self._register_plugin(module, module_name, provider, True)
            self._register_builtins(batch, __version__)
            autoload = self._autoload
            if autoload is None:
                autoload = not os.environ.get(ENV_NO_AUTOLOAD)
            if autoload:
                self._load_entry_points()
            self._loaded = True

    def _load_entry_points(self) -> None:
        disabled = self._disable
        seen: set[str] = set()
        # Scanned through the on-disk cache of the scan: importing importlib.metadata and reading every
        # distribution's metadata is a large share of the CLI's start-up (see discovery's docstring).
        for ep in sorted(discovery.entry_points(ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist_name, version = ep.distribution, ep.version
            if ep.name in seen:
                continue
            seen.add(ep.name)
            if ep.name in disabled or dist_name in disabled:
                self.disabled.append(ep.name)
                self._disabled_packages[ep.name] = ep.value.split(":", 1)[0].split(".", 1)[0].lower()
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
            self._broken(name, provider, f"{type(exc).__name__}: {exc}")
            return
        problem = hook_name_problem(plugin, self._pm)
        if problem:
            self._pm.unregister(plugin)
            self._broken(name, provider, problem)
            return
        added: list[tuple[str, str]] = []
        try:
            self._plugin_hook(plugin, "noether_register_components")(register=self._recorder(provider, added))
        except Exception as exc:
            self._broken(name, provider, f"{type(exc).__name__}: {exc}")
            self._pm.unregister(plugin)
            self._forget(provider, added)
            return
        self.plugins.append(PluginInfo(name, provider.distribution, provider.version, builtin, tuple(added)))

    def _register_builtins(self, modules: list[tuple[str, Any]], version: str) -> None:
        """Register built-in modules that implement only ``noether_register_components``, as one pluggy plugin.

        One plugin (:func:`~noether.core.registry.builtin.group_plugin`: why), registered and called through the
        same hook as any other, runs the modules' hook functions in order; each module is still reported as its
        own plugin, with its own kinds, and one that raises is broken alone, exactly as when it is registered by
        itself (:meth:`_register_plugin`, used for any other built-in module).
        """
        if not modules:
            return

        def run_module(name: str, module: Any) -> None:
            provider = Provider(name, "noether", version)
            added: list[tuple[str, str]] = []
            try:
                module.noether_register_components(register=self._recorder(provider, added))
            except Exception as exc:
                self._broken(name, provider, f"{type(exc).__name__}: {exc}")
                self._forget(provider, added)
                return
            self.plugins.append(PluginInfo(name, "noether", version, True, tuple(added)))

        plugin = group_plugin(modules, run_module)
        self._pm.register(plugin, name=f"{BUILTIN_GROUP_NAME} {modules[0][0]}")
        self._plugin_hook(plugin, "noether_register_components")(register=self._recorder(
            Provider(BUILTIN_GROUP_NAME, "noether", version), []))

    def _plugin_hook(self, plugin: Any, hook_name: str) -> Any:
        """A caller of ``hook_name`` that runs only ``plugin``'s implementation, through pluggy.

        So each plugin's kinds are attributed to it, and pluggy's ordering, wrappers and tracing still apply.
        """
        others = [p for p in self._pm.get_plugins() if p is not plugin]
        return self._pm.subset_hook_caller(hook_name, remove_plugins=others)

    def _broken(self, name: str, provider: Provider, error: str) -> None:
        self.broken.append(BrokenPlugin(name, provider.distribution, provider.version, error))

    # -- CLI ------------------------------------------------------------------------------------------------
    def add_commands(self, subparsers: Any) -> list[BrokenPlugin]:
        """Let every plugin add its CLI subcommands (``noether_add_commands``); returns the plugins that failed.

        A plugin whose hook raises is skipped (its commands are missing) so that ``noether`` keeps working.
        """
        self.ensure_loaded()
        failed = []
        for plugin in list(self._pm.get_plugins()):
            name = self._pm.get_name(plugin) or "?"
            try:
                self._plugin_hook(plugin, "noether_add_commands")(subparsers=subparsers)
            except Exception as exc:  # a broken plugin must not break the CLI
                failed.append(BrokenPlugin(name, "?", "?", f"{type(exc).__name__}: {exc}"))
        return failed

    # -- resolution and building ---------------------------------------------------------------------------
    def resolve(self, family: str, kind: str, *, allow_import: bool = True) -> Registration:
        """The registration of ``kind``; a dotted class path of the user's own code is imported as a last resort.

        A kind is imported only when it is not registered (by kind, alias or implementation path), could be
        a class path (dotted Python identifiers) and lies outside ``noether`` and ``torch``, whose components
        are all registered: so resolving never imports torch or runs a module for a known kind. Raises
        :class:`UnknownKindError` otherwise (see :meth:`unknown_kind`).
        """
        found = self.find(family, kind) or self.find_by_component(family, kind)
        if found is not None:
            return found
        tried = ""
        if allow_import and importable_path(kind):
            try:
                obj = import_dotted(kind)
            except Exception as exc:  # the user's module ran and failed: report it, do not crash
                tried = f"importing '{kind}' as a class path failed: {type(exc).__name__}: {exc}"
            else:
                config = getattr(obj, "config_class", None) or base_configs().get(family)
                if not isinstance(config, type):
                    tried = f"'{kind}' was imported but {family}s need a registered config class"
                else:
                    return Registration(family, kind, config, obj, Provider("import path", kind, "-"))
        raise self.unknown_kind(family, kind, tried)

    def unknown_kind(self, family: str, kind: str, tried: str = "") -> UnknownKindError:
        """The error for an unknown kind, short and most useful first.

        In order: the plugin that would provide it when that plugin is disabled, broken or not installed; the
        closest registered kinds (best first), or the family the kind really belongs to; why importing it as a
        class path failed (only when it looks like one); the known kinds only when nothing is close.
        """
        self.ensure_loaded()
        note = plugin_note(kind, self.disabled, self._disabled_packages, self.broken)
        return unknown_kind_error(self, family, kind, tried, plugin_note=note, broken=self.broken)

    def close_matches(self, family: str, kind: str, n: int = 3) -> list[str]:
        """Registered kinds of ``family`` close to ``kind`` (whole or last dotted part), best first."""
        return close_matches(self, family, kind, n)

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


_REGISTRY: Registry | None = None
_SCOPED: contextvars.ContextVar[Registry | None] = contextvars.ContextVar("noether_scoped_registry", default=None)
_BY_SETTINGS: dict[tuple[frozenset[str], frozenset[str], bool], Registry] = {}


def get_registry() -> Registry:
    """The registry in use: the one of :func:`use_registry` if active, else the process-wide one."""
    scoped = _SCOPED.get()
    if scoped is not None:
        return scoped
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = Registry()
    return _REGISTRY


@contextlib.contextmanager
def use_registry(registry: Registry | None) -> Iterator[Registry]:
    """Within this block (this thread or task), :func:`get_registry` returns ``registry``.

    ``None`` keeps the current one. This is how a config's ``plugins`` section applies to that config only.
    """
    if registry is None:
        yield get_registry()
        return
    token = _SCOPED.set(registry)
    try:
        yield registry
    finally:
        _SCOPED.reset(token)


def registry_for(*, disable: Iterable[str] = (), autoload: bool = True, prefer: Iterable[str] = ()) -> Registry:
    """The registry for one config's ``plugins`` settings; the process-wide one when they change nothing.

    Registries are kept per settings, so plugins are discovered once per distinct ``plugins`` section. The
    process-wide registry is never replaced.
    """
    disable, prefer = frozenset(disable), frozenset(prefer)
    if not disable and not prefer and autoload:
        return get_registry()
    key = (disable, prefer, autoload)
    found = _BY_SETTINGS.get(key)
    if found is None:
        found = Registry(autoload=None if autoload else False, disable=disable, prefer=prefer)
        _BY_SETTINGS[key] = found
    return found


def registry_for_plugins(plugins: Any) -> Registry:
    """:func:`registry_for` with the settings of a ``PluginsConfig`` (a structured config's ``plugins``)."""
    return registry_for(disable=plugins.disable, autoload=plugins.autoload, prefer=plugins.prefer)


def set_registry(registry: Registry | None) -> Registry | None:
    """Replace the process-wide registry (for tests); returns the previous one."""
    global _REGISTRY
    previous, _REGISTRY = _REGISTRY, registry
    _BY_SETTINGS.clear()
    return previous
