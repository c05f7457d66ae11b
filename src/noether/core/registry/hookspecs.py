"""The plugin contract: the hooks a Noether plugin may implement.

A plugin is a module (or object) named by an entry point in the ``noether.plugins`` group. Noether registers
its own components through the very same hook: each package keeps a small ``kinds`` module next to its code,
listed by name in :data:`noether.core.registry.builtin.BUILTIN_PLUGINS` (as pytest lists its default plugins).

Every hook function must carry ``@noether.hookimpl`` and be named exactly as below; a plugin with a function
named ``noether_*`` that is no hook (a misspelling) or that lacks the marker is reported as broken by
``noether plugins``, with the close match.
"""

from __future__ import annotations

from typing import Any, Protocol

import pluggy

from noether.core.registry.registration import Check

PROJECT_NAME = "noether"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Decorator for plugin hook implementations (also exported as ``noether.hookimpl``).
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class RegisterFunction(Protocol):
    """The ``register`` callback handed to :func:`noether_register_components`."""

    def __call__(
        self,
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
        """Register one component.

        ``family`` is one of :data:`noether.core.registry.FAMILIES`; ``kind`` is the string a config uses to
        select it; ``config`` is the schema class (or ``"module:attr"``); ``component`` is the implementation
        (or ``"module:attr"``, imported only when a run builds it); ``aliases`` are further accepted kinds;
        ``summary`` is the one line listings show (default: the first line of the config class's docstring);
        ``check`` is a torch-free ``config -> list[noether.core.errors.Issue]`` (or ``"module:attr"``) that
        validation runs on every config object of this kind, with paths relative to that object;
        ``listed=False`` keeps a kind resolvable but out of listings (a base class kept for older configs).
        """


class NoetherHookSpec:
    """Hook specifications."""

    @hookspec
    def noether_register_components(self, register: RegisterFunction) -> None:
        """Register components by calling ``register(family, kind, config=..., component=...)``.

        Called once per plugin, when the registry first loads (plugins in entry-point name order, after the
        built-in ones); the kinds a call registers are attributed to that plugin. Return nothing. An exception
        marks the plugin broken and drops its kinds; unrelated kinds keep working.

        Keep the module that implements this hook light: refer to implementations by ``"module:attr"``
        strings so that validating a config never imports torch or your model code.
        """

    @hookspec
    def noether_add_commands(self, subparsers: Any) -> None:
        """Add CLI subcommands: ``subparsers.add_parser(name, ...)`` with ``set_defaults(handler=fn)``.

        ``fn(args) -> int`` runs the command and returns the exit status. Called once per plugin when
        ``noether`` needs every command: for ``noether``, ``--help``, an unknown command and any command that
        is not a built-in one (not for ``noether check`` and the other built-in commands). Keep this hook and
        the module it lives in free of torch; import heavy code inside the handler. A plugin whose hook raises
        loses its commands only; a name of a built-in command cannot be taken (``add_parser`` raises).
        """


#: The names of every hook, for the check of a plugin's hook names.
HOOK_NAMES = tuple(name for name in vars(NoetherHookSpec) if name.startswith("noether_"))
