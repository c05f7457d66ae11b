"""The plugin contract: the hooks a Noether plugin may implement.

A plugin is a module (or object) named by an entry point in the ``noether.plugins`` group. Noether registers
its own components through the very same hook.
"""

from __future__ import annotations

from typing import Any, Protocol

import pluggy

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
    ) -> None:
        """Register one component.

        ``family`` is one of :data:`noether.core.registry.FAMILIES`; ``kind`` is the string a config uses to
        select it; ``config`` is the schema class (or ``"module:attr"``); ``component`` is the implementation
        (or ``"module:attr"``, imported only when a run builds it); ``aliases`` are further accepted kinds.
        """


class NoetherHookSpec:
    """Hook specifications."""

    @hookspec
    def noether_register_components(self, register: RegisterFunction) -> None:
        """Register components by calling ``register(family, kind, config=..., component=...)``.

        Keep the module that implements this hook light: refer to implementations by ``"module:attr"``
        strings so that validating a config never imports torch or your model code.
        """

    @hookspec
    def noether_add_commands(self, subparsers: Any) -> None:
        """Add CLI subcommands: ``subparsers.add_parser(name, ...)`` with ``set_defaults(handler=fn)``.

        ``fn(args) -> int`` runs the command and returns the exit status. Called whenever ``noether`` builds its
        parser (also for ``--help``), so keep this hook and the module it lives in free of torch; import heavy
        code inside the handler.
        """
