"""The registry's fixed names: the entry-point group, the component families, the plugin environment variables.

Kept apart from the code that uses them so that every part of the registry (loading, the kind table, the
messages about unknown kinds) names them from one place without importing the others.
"""

from __future__ import annotations

import os

#: The entry-point group in which installed distributions name their plugins.
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

#: Comma-separated plugins or distributions not to load (as a config's ``plugins.disable``).
ENV_DISABLE = "NOETHER_DISABLE_PLUGINS"
#: Set (non-empty) to load no entry-point plugins at all, only the built-in ones.
ENV_NO_AUTOLOAD = "NOETHER_DISABLE_PLUGIN_AUTOLOAD"
#: Comma-separated distributions or plugins that win when two register the same kind (``plugins.prefer``).
ENV_PREFER = "NOETHER_PREFER_PLUGINS"


def split_env(name: str) -> set[str]:
    """The comma-separated names in the environment variable ``name`` (blanks dropped; empty when unset)."""
    return {part.strip() for part in os.environ.get(name, "").split(",") if part.strip()}
