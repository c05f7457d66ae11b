"""Schedule tests run against a registry holding only the core and schedule registrations.

That keeps them independent of unrelated plugins (data, third-party) that may fail to import.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from noether.core.registry import Registry, set_registry

BUILTINS = ("noether.core.registry.builtin.core", "noether.core.registry.builtin.schedules")


@pytest.fixture(autouse=True, scope="module")
def _core_registry() -> Iterator[Registry]:
    registry = Registry(autoload=False, builtins=BUILTINS)
    previous = set_registry(registry)
    try:
        yield registry
    finally:
        set_registry(previous)
