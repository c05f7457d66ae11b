"""The framework's own plugins: which modules they are, and how several of them run as one pluggy plugin.

Each package keeps a torch-free ``kinds`` module registered through the same hook as a third-party plugin (as
pytest lists its default plugins). Registering a module with pluggy costs about 0.2 ms (pluggy inspects every
attribute of the module), a start-up cost paid for nine modules of our own whose hooks are known. So consecutive
modules whose only hook is ``noether_register_components`` (:func:`registers_only`) run through one plugin
(:func:`group_plugin`), registered and called through the same hook as any other; the registry still reports
each module as its own plugin, with its own kinds, and one that raises is broken alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from noether.core.registry.hookspecs import PROJECT_NAME, RegisterFunction, hookimpl

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

#: The pluggy name of the plugin that runs the built-in kinds modules (a name no entry point can take: a space).
BUILTIN_GROUP_NAME = "noether built-in kinds"


def registers_only(module: Any) -> bool:
    """Whether the only ``noether_*`` name of ``module`` is a ``noether_register_components`` marked as a hook.

    Such a built-in module has nothing :func:`~noether.core.registry.hook_checks.hook_name_problem` would
    report and no other hook to call, so it can be run by a :func:`group_plugin`; any other is registered by
    itself.
    """
    hook = getattr(module, "noether_register_components", None)
    if hook is None or not getattr(hook, f"{PROJECT_NAME}_impl", None):
        return False
    return all(name == "noether_register_components" for name in vars(module) if name.startswith("noether_"))


def group_plugin(modules: Sequence[tuple[str, Any]], run_module: Callable[[str, Any], None]) -> object:
    """One plugin whose ``noether_register_components`` calls ``run_module(name, module)`` for each of
    ``modules`` (``(name, module)`` pairs), in order; ``run_module`` records and isolates each module."""

    class BuiltinKinds:
        """The built-in kinds modules above, as one plugin."""

        @hookimpl
        def noether_register_components(self, register: RegisterFunction) -> None:
            """Run each module's hook with a recorder of its own (``register`` is this plugin's, unused)."""
            for name, module in modules:
                run_module(name, module)

    return BuiltinKinds()
