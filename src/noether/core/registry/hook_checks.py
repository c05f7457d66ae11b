"""Checking a plugin's hook functions: misspelled hook names, missing ``@hookimpl`` markers, no hook at all.

Run on every plugin the registry registers on its own (the built-in kinds modules grouped into one plugin by
:mod:`noether.core.registry.builtin` are known to have nothing to report).
"""

from __future__ import annotations

from typing import Any

import pluggy

from noether.core.registry.hookspecs import HOOK_NAMES


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
