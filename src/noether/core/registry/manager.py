"""The one registry: pluggy plugins, discovered once from the ``noether.plugins`` entry-point group.

The entry points come from :mod:`noether.core.registry.discovery`, which remembers the scan on disk between runs.

Discovery imports only each plugin's registration module; implementations are imported when a run builds them.
A plugin that fails to import is recorded as broken and does not affect configs that do not use it.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import pluggy

from noether._records import FrozenRecord
from noether.core.registry import discovery
from noether.core.registry.errors import KindClashError, PluginLoadError, UnknownKindError
from noether.core.registry.hookspecs import HOOK_NAMES, PROJECT_NAME, NoetherHookSpec, RegisterFunction, hookimpl
from noether.core.registry.registration import Check, Provider, Registration

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

#: The framework's own plugins: the torch-free ``kinds`` module of each package, registered through the same
#: hook as third-party ones (as pytest lists its default plugins). Named, not imported: the registry depends on
#: no package above the schemas.
CORE_PLUGINS = (
    "noether.core.callbacks.kinds",
    "noether.core.trackers.kinds",
    "noether.core.initializers.kinds",
    "noether.core.optimizer.kinds",
    "noether.core.models.kinds",
    "noether.core.schedules.kinds",
    "noether.training.kinds",
)
BUILTIN_PLUGINS = (*CORE_PLUGINS, "noether.data.kinds", "noether.data.airfoil.kinds")

#: Kinds provided by known plugin packages, for install hints when the package is missing.
KNOWN_PROVIDERS = {
    "noether_mlflow.": "noether-mlflow",
    "noether_example_plugin.": "noether-example-plugin",
}

ENV_DISABLE = "NOETHER_DISABLE_PLUGINS"
ENV_NO_AUTOLOAD = "NOETHER_DISABLE_PLUGIN_AUTOLOAD"
ENV_PREFER = "NOETHER_PREFER_PLUGINS"


# Frozen records (noether._records) rather than attrs classes: every start of the CLI creates these classes.
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
        self._disabled_packages: dict[str, str] = {}
        self._builtins = tuple(builtins)
        self._autoload = autoload
        self._disable = set(disable) | _split_env(ENV_DISABLE)
        self._prefer = set(prefer) | _split_env(ENV_PREFER)
        self._loaded = False
        self._lock = threading.Lock()
        self._by_config: dict[str, list[Registration]] | None = None

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
                if _registers_only(module):
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

        Registering each module with pluggy costs about 0.2 ms (pluggy inspects every attribute of the module),
        a start-up cost paid for nine modules of our own whose hooks are known. So one plugin, registered and
        called through the same hook as any other, runs the modules' hook functions in order; each module is
        still reported as its own plugin, with its own kinds, and one that raises is broken alone, exactly as
        when it is registered by itself (:meth:`_register_plugin`, used for any other built-in module).
        """
        if not modules:
            return
        registry = self

        class BuiltinKinds:
            """The built-in kinds modules above, as one plugin."""

            @hookimpl
            def noether_register_components(self, register: RegisterFunction) -> None:
                """Run each module's hook with a recorder of its own (``register`` is this plugin's, unused)."""
                for name, module in modules:
                    provider = Provider(name, "noether", version)
                    added: list[tuple[str, str]] = []
                    try:
                        module.noether_register_components(register=registry._recorder(provider, added))
                    except Exception as exc:
                        registry._broken(name, provider, f"{type(exc).__name__}: {exc}")
                        registry._forget(provider, added)
                        continue
                    registry.plugins.append(PluginInfo(name, "noether", version, True, tuple(added)))

        plugin = BuiltinKinds()
        self._pm.register(plugin, name=f"{BUILTIN_GROUP_NAME} {modules[0][0]}")
        self._plugin_hook(plugin, "noether_register_components")(register=self._recorder(
            Provider(BUILTIN_GROUP_NAME, "noether", version), []))

    def _recorder(self, provider: Provider, added: list[tuple[str, str]]) -> RegisterFunction:
        """The ``register`` function a plugin's hook is called with: records under ``provider``, keys in ``added``."""

        def register(
            family: str,
            kind: str,
            *,
            config: type | str,
            component: type | str | None = None,
            aliases: tuple[str, ...] = (),
            summary: str = "",
            check: Check | str | None = None,
            listed: bool = True,
        ) -> None:
            if family not in FAMILIES:
                raise ValueError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")
            reg = Registration(family, kind, config, component, provider, tuple(aliases), summary, check, listed)
            self._entries.setdefault((family, kind), []).append(reg)
            for alias in aliases:
                self._aliases[(family, alias)] = kind
            added.append((family, kind))

        return register

    def _forget(self, provider: Provider, added: list[tuple[str, str]]) -> None:
        """Drop the entries ``provider`` registered under the keys in ``added`` (its hook failed)."""
        for key in added:
            self._entries[key] = [r for r in self._entries[key] if r.provider != provider]
            if not self._entries[key]:
                del self._entries[key]

    def _plugin_hook(self, plugin: Any, hook_name: str) -> Any:
        """A caller of ``hook_name`` that runs only ``plugin``'s implementation, through pluggy.

        So each plugin's kinds are attributed to it, and pluggy's ordering, wrappers and tracing still apply.
        """
        others = [p for p in self._pm.get_plugins() if p is not plugin]
        return self._pm.subset_hook_caller(hook_name, remove_plugins=others)

    def _broken(self, name: str, provider: Provider, error: str) -> None:
        self.broken.append(BrokenPlugin(name, provider.distribution, provider.version, error))

    def add(self, registration: Registration) -> None:
        """Register one entry directly (used by tests and ``noether.testing``)."""
        self.ensure_loaded()
        self._by_config = None
        self._entries.setdefault((registration.family, registration.kind), []).append(registration)
        for alias in registration.aliases:
            self._aliases[(registration.family, alias)] = registration.kind

    def remove(self, registration: Registration) -> None:
        """Undo :meth:`add`."""
        key = (registration.family, registration.kind)
        self._by_config = None
        self._entries[key] = [r for r in self._entries.get(key, []) if r is not registration]
        if not self._entries[key]:
            del self._entries[key]
        for alias in registration.aliases:
            self._aliases.pop((registration.family, alias), None)

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

    # -- lookup --------------------------------------------------------------------------------------------
    def kinds(self, family: str, *, listed_only: bool = False) -> list[str]:
        """Every registered kind of a family, sorted (``listed_only``: without kinds kept only for old configs)."""
        self.ensure_loaded()
        return sorted(kind for (fam, kind), regs in self._entries.items()
                      if fam == family and (not listed_only or any(r.listed for r in regs)))

    def registrations_of_config(self, config: type) -> list[Registration]:
        """The registrations whose config class is ``config`` (compared by name: nothing is imported)."""
        self.ensure_loaded()
        cache = self._by_config
        if cache is None:
            cache = {}
            for regs in self._entries.values():
                for reg in regs:
                    cache.setdefault(reg.config_path, []).append(reg)
            self._by_config = cache
        return cache.get(f"{config.__module__}:{config.__qualname__}", [])

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

    def find_by_component(self, family: str, kind: str) -> Registration | None:
        """The registration whose implementation lives at the dotted path ``kind`` (``module.Class``)."""
        self.ensure_loaded()
        for (fam, _), regs in self._entries.items():
            if fam == family:
                for reg in regs:
                    if reg.component is not None and reg.component_path.replace(":", ".") == kind:
                        return reg
        return None

    def families_of(self, kind: str) -> list[str]:
        """The families in which ``kind`` (or an alias of it) is registered."""
        self.ensure_loaded()
        return sorted({fam for fam, k in (*self._entries, *self._aliases) if k == kind})

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
                config = getattr(obj, "config_class", None) or _base_configs().get(family)
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
        lines = [f"unknown {family} kind '{kind}'"]
        plugin_note = self._plugin_note(kind)
        if plugin_note:
            lines[0] += f": {plugin_note}"
        others = [f for f in self.families_of(kind) if f != family]
        close = self.close_matches(family, kind)
        if others:
            lines.append(f"'{kind}' is registered as a {' and '.join(others)}, not as a {family}")
        if close:
            lines.append("did you mean: " + ", ".join(f"'{c}'" for c in close) + "?")
        if tried and importable_path(kind) and not plugin_note:
            lines.append(tried)
        top = kind.split(".", 1)[0]
        if top in NEVER_IMPORTED and "." in kind and not close and not others:
            lines.append(f"'{top}' classes are not imported as {family} kinds; name a registered kind or a class "
                         f"of your own package")
        if not plugin_note and not others:  # a broken plugin's kinds are unknown: it may be the provider
            lines.extend(f"note: plugin '{b.name}' ({b.distribution}) failed to load and may provide it: {b.error}"
                         for b in self.broken)
        if not close and not others and not plugin_note:
            lines.append(f"known {family} kinds: " + (", ".join(self.kinds(family)) or "(none)"))
        return UnknownKindError(family, kind, "; ".join(lines), close)

    def close_matches(self, family: str, kind: str, n: int = 3) -> list[str]:
        """Registered kinds of ``family`` close to ``kind`` (whole or last dotted part), best first."""
        import difflib  # only when a suggestion is made: slow to import
        known = self.kinds(family) + sorted(a for (fam, a) in self._aliases if fam == family)
        short = kind.rsplit(".", 1)[-1].lower()
        scored = []
        for candidate in known:
            whole = difflib.SequenceMatcher(None, kind.lower(), candidate.lower()).ratio()
            last = difflib.SequenceMatcher(None, short, candidate.rsplit(".", 1)[-1].lower()).ratio()
            score = max(whole, last)
            if score >= 0.6:
                scored.append((score, candidate))
        scored.sort(key=lambda item: (-item[0], item[1]))
        result: list[str] = []
        targets: set[str] = set()
        for _, candidate in scored:  # an alias is shown as written (it is closest to the input), once per kind
            target = self._aliases.get((family, candidate), candidate)
            if target not in targets:
                targets.add(target)
                result.append(candidate)
        return result[:n]

    def _plugin_note(self, kind: str) -> str:
        """Why a plugin that would provide ``kind`` is missing (disabled, broken, not installed), else ``""``."""
        top = kind.split(".", 1)[0].replace("-", "_").lower()
        for name in self.disabled:
            if top in (name.replace("-", "_").lower(), self._disabled_packages.get(name, "")):
                return (f"it belongs to the plugin '{name}', which is disabled (plugins.disable or "
                        f"{ENV_DISABLE})")
        for broken in self.broken:
            names = {broken.name.replace("-", "_").lower(), broken.distribution.replace("-", "_").lower()}
            if top in names:
                return f"the plugin '{broken.name}' ({broken.distribution}) that provides it failed to load: " \
                       f"{broken.error}"
        for prefix, dist in KNOWN_PROVIDERS.items():
            if kind.startswith(prefix):
                return f"it is provided by the package '{dist}', which is not installed: pip install {dist}"
        return ""

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


#: The pluggy name of the plugin that runs the built-in kinds modules (a name no entry point can take: a space).
BUILTIN_GROUP_NAME = "noether built-in kinds"


def _registers_only(module: Any) -> bool:
    """Whether the only ``noether_*`` name of ``module`` is a ``noether_register_components`` marked as a hook.

    Such a built-in module has nothing :func:`hook_name_problem` would report and no other hook to call, so it
    can be run by the plugin of :meth:`Registry._register_builtins`; any other is registered by itself.
    """
    hook = getattr(module, "noether_register_components", None)
    if hook is None or not getattr(hook, f"{PROJECT_NAME}_impl", None):
        return False
    return all(name == "noether_register_components" for name in vars(module) if name.startswith("noether_"))


def hook_name_problem(plugin: Any, pm: pluggy.PluginManager) -> str:
    """Why ``plugin``'s hook functions are not what they look like (``""`` when they are).

    Like pluggy's ``check_pending``, but for one plugin and with the fix: a ``noether_*`` function that names
    no hook (a misspelling, with the close match) or that lacks ``@hookimpl``; or no hook at all.
    """
    implemented = sorted(caller.name for caller in pm.get_hookcallers(plugin) or ())
    problems = []
    for hook in implemented:
        if hook not in HOOK_NAMES:
            import difflib  # only when a suggestion is made: slow to import
            close = difflib.get_close_matches(hook, HOOK_NAMES, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(f"'{hook}' is no noether hook{hint}")
    unmarked = []
    for attr in sorted(dir(plugin)):
        if attr.startswith("noether_") and attr not in implemented and callable(getattr(plugin, attr, None)):
            unmarked.append(attr)
    for attr in unmarked:
        # Only a near miss counts: a helper of the plugin may well be called noether_something.
        import difflib  # only when a suggestion is made: slow to import
        close = difflib.get_close_matches(attr, HOOK_NAMES, n=1, cutoff=0.85)
        if attr in HOOK_NAMES:
            problems.append(f"'{attr}' lacks the @noether.hookimpl decorator")
        elif close:
            problems.append(f"'{attr}' lacks @noether.hookimpl and is no noether hook; did you mean '{close[0]}'?")
    if not problems and not implemented:
        problems.append("it implements no noether hook")
    if not problems:
        return ""
    shown = ", ".join(implemented) or "none"
    return "; ".join(problems) + f" (hooks it implements: {shown}; hooks: {', '.join(HOOK_NAMES)})"


#: Top-level packages whose components are all registered: a kind under them is never imported.
NEVER_IMPORTED = ("noether", "torch")


def importable_path(kind: str) -> bool:
    """Whether ``kind`` may be imported as the class path of the user's own code.

    It must be dotted Python identifiers (``mypkg.models.MyModel``) outside :data:`NEVER_IMPORTED`.
    """
    parts = kind.split(".")
    return len(parts) >= 2 and all(p.isidentifier() for p in parts) and parts[0] not in NEVER_IMPORTED


def import_dotted(path: str) -> Any:
    """Import ``module.attr`` and return the attribute."""
    module_name, _, attr = path.rpartition(".")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise AttributeError(f"module '{module_name}' has no attribute '{attr}'") from None


@functools.cache
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
