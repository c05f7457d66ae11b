"""A fixture that runs a test module against a registry holding only the core and schedule registrations.

That keeps pure-math tests (schedules, optimizer) independent of other plugins that may be installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from noether.core.registry import Registry, set_registry
from noether.core.registry.builtin import CORE_PLUGINS

BUILTINS = CORE_PLUGINS


@pytest.fixture(autouse=True, scope="module")
def _core_registry() -> Iterator[Registry]:
    registry = Registry(autoload=False, builtins=BUILTINS)
    previous = set_registry(registry)
    try:
        yield registry
    finally:
        set_registry(previous)
