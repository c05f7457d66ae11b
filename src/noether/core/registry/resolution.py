"""What the registry does when a kind is not registered: import it as a class path, or explain why it is unknown.

A kind that no plugin registers may be the dotted class path of the user's own code (:func:`importable_path`,
:func:`import_dotted`); otherwise the error names, most useful first, the plugin that would provide it, the
closest registered kinds and what was tried (:func:`unknown_kind_error`).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from noether.core.registry.errors import UnknownKindError
from noether.core.registry.registration import BrokenPlugin
from noether.core.registry.settings import ENV_DISABLE
from noether.core.registry.table import KindTable

#: Kinds provided by known plugin packages, for install hints when the package is missing.
KNOWN_PROVIDERS = {
    "noether_mlflow.": "noether-mlflow",
    "noether_example_plugin.": "noether-example-plugin",
}

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
def base_configs() -> dict[str, type]:
    """The config base class of each family whose imported classes may lack a ``config_class`` of their own."""
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


def unknown_kind_error(table: KindTable, family: str, kind: str, tried: str, *, plugin_note: str,
                       broken: Sequence[BrokenPlugin]) -> UnknownKindError:
    """The error for an unknown kind, short and most useful first.

    In order: ``plugin_note`` (see :func:`plugin_note`); the closest kinds of ``table`` (best first), or the
    family the kind really belongs to; why importing it as a class path failed (``tried``, only when it looks
    like one); the ``broken`` plugins that may provide it; the known kinds only when nothing is close.
    """
    lines = [f"unknown {family} kind '{kind}'"]
    if plugin_note:
        lines[0] += f": {plugin_note}"
    others = [f for f in table.families_of(kind) if f != family]
    close = close_matches(table, family, kind)
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
                     for b in broken)
    if not close and not others and not plugin_note:
        lines.append(f"known {family} kinds: " + (", ".join(table.kinds(family)) or "(none)"))
    return UnknownKindError(family, kind, "; ".join(lines), close)


def close_matches(table: KindTable, family: str, kind: str, n: int = 3) -> list[str]:
    """Kinds of ``family`` in ``table`` close to ``kind`` (whole or last dotted part), best first."""
    import difflib  # only when a suggestion is made: slow to import
    aliases = table._aliases  # the aliases are offered too: the table's own mapping, read only
    known = table.kinds(family) + sorted(a for (fam, a) in aliases if fam == family)
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
        target = aliases.get((family, candidate), candidate)
        if target not in targets:
            targets.add(target)
            result.append(candidate)
    return result[:n]


def plugin_note(kind: str, disabled: Sequence[str], disabled_packages: Mapping[str, str],
                broken: Sequence[BrokenPlugin]) -> str:
    """Why a plugin that would provide ``kind`` is missing (disabled, broken, not installed), else ``""``.

    ``disabled`` names the disabled plugins, ``disabled_packages`` their top-level packages.
    """
    top = kind.split(".", 1)[0].replace("-", "_").lower()
    for name in disabled:
        if top in (name.replace("-", "_").lower(), disabled_packages.get(name, "")):
            return (f"it belongs to the plugin '{name}', which is disabled (plugins.disable or "
                    f"{ENV_DISABLE})")
    for plugin in broken:
        names = {plugin.name.replace("-", "_").lower(), plugin.distribution.replace("-", "_").lower()}
        if top in names:
            return f"the plugin '{plugin.name}' ({plugin.distribution}) that provides it failed to load: " \
                   f"{plugin.error}"
    for prefix, dist in KNOWN_PROVIDERS.items():
        if kind.startswith(prefix):
            return f"it is provided by the package '{dist}', which is not installed: pip install {dist}"
    return ""
