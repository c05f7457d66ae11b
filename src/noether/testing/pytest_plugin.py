"""The pytest plugin of ``noether.testing``: fixtures for tests of Noether plugins."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from noether.testing import CliResult, run_cli


@pytest.fixture
def run_noether() -> Callable[..., CliResult]:
    """Run the Noether CLI in a subprocess: ``run_noether("run", "cfg.yaml")``."""
    return run_cli


@pytest.fixture
def noether_register() -> Iterator[Callable[..., Any]]:
    """Register components in the process-wide registry for one test only."""
    from noether.core.registry import Provider, Registration, get_registry

    registry = get_registry()
    added: list[Registration] = []

    def register(family: str, kind: str, *, config: type | str, component: type | str | None = None,
                 aliases: tuple[str, ...] = ()) -> Registration:
        reg = Registration(family, kind, config, component, Provider("test", "test", "0"), aliases)
        registry.add(reg)
        added.append(reg)
        return reg

    yield register
    for reg in reversed(added):
        registry.remove(reg)


