"""The kind table: registrations by ``(family, kind)`` with their aliases, how they are entered, and the lookups.

Plugins enter their kinds through the ``register`` function of :meth:`KindTable._recorder`, which attributes
each entry to its provider so that a failing plugin's entries can be dropped again.

A kind registered by two providers is a clash; :meth:`KindTable.find` settles it with the preferred
distributions or reports it. Filling the table from plugins is :class:`~noether.core.registry.Registry`'s job
(it overrides :meth:`KindTable.ensure_loaded`, which every lookup calls first).
"""

from __future__ import annotations

from collections.abc import Iterable

from noether.core.registry.errors import KindClashError
from noether.core.registry.hookspecs import RegisterFunction
from noether.core.registry.registration import Check, Provider, Registration
from noether.core.registry.settings import ENV_DISABLE, ENV_PREFER, FAMILIES


class KindTable:
    """Maps ``(family, kind)`` to registrations; ``prefer`` names the distributions or plugins chosen in a clash."""

    def __init__(self, *, prefer: Iterable[str] = ()) -> None:
        self._entries: dict[tuple[str, str], list[Registration]] = {}
        self._aliases: dict[tuple[str, str], str] = {}
        self._prefer = set(prefer)
        self._by_config: dict[str, list[Registration]] | None = None

    def ensure_loaded(self) -> None:
        """Fill the table before a lookup; a bare table holds only what :meth:`add` put in."""

    def _record(self, reg: Registration) -> None:
        """Enter ``reg`` under its kind and aliases (a plugin's ``register`` call)."""
        self._entries.setdefault((reg.family, reg.kind), []).append(reg)
        for alias in reg.aliases:
            self._aliases[(reg.family, alias)] = reg.kind

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
            self._record(Registration(family, kind, config, component, provider, tuple(aliases), summary, check,
                                      listed))
            added.append((family, kind))

        return register

    def _forget(self, provider: Provider, added: list[tuple[str, str]]) -> None:
        """Drop the entries ``provider`` registered under the keys in ``added`` (its hook failed)."""
        for key in added:
            self._entries[key] = [r for r in self._entries[key] if r.provider != provider]
            if not self._entries[key]:
                del self._entries[key]

    def add(self, registration: Registration) -> None:
        """Register one entry directly (used by tests and ``noether.testing``)."""
        self.ensure_loaded()
        self._by_config = None
        self._record(registration)

    def remove(self, registration: Registration) -> None:
        """Undo :meth:`add`."""
        key = (registration.family, registration.kind)
        self._by_config = None
        self._entries[key] = [r for r in self._entries.get(key, []) if r is not registration]
        if not self._entries[key]:
            del self._entries[key]
        for alias in registration.aliases:
            self._aliases.pop((registration.family, alias), None)

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
