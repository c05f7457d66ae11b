"""``noether.testing``: helpers for plugin authors, and a pytest plugin (``noether.testing.pytest_plugin``,
loaded automatically by pytest once Noether is installed).

Fixtures (pytest plugin):

* ``noether_register`` - ``noether_register(family, kind, config=..., component=...)`` registers a component
  for one test and removes it afterwards.
* ``run_noether`` - ``run_noether("check", "cfg.yaml", "seed=1")`` runs the real CLI in a subprocess and returns
  a :class:`CliResult`.

Functions:

* :func:`check_kind` - a kind structures, unstructures to the same data, and (optionally) builds.
* :func:`check_distribution` - every kind a distribution registers has a loadable config and component.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen
class CliResult:
    """Outcome of one CLI call."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def assert_ok(self) -> CliResult:
        """Fail the test with the output when the command did not succeed."""
        assert self.returncode == 0, f"noether {' '.join(self.args)} exited {self.returncode}:\n{self.stderr}"
        return self


def run_cli(*args: str, env: Mapping[str, str] | None = None, cwd: str | None = None,
            timeout: float = 600) -> CliResult:
    """Run ``python -m noether ARGS`` in a subprocess."""
    merged = dict(os.environ, **(env or {}))
    out = subprocess.run([sys.executable, "-m", "noether", *args], capture_output=True, text=True, env=merged,
                         cwd=cwd, timeout=timeout)
    return CliResult(tuple(args), out.returncode, out.stdout, out.stderr)


def check_kind(family: str, kind: str, example: Mapping[str, Any], *, build: bool = False,
               **build_kwargs: Any) -> Any:
    """Structure ``example`` (which must name ``kind``), check the round trip, optionally build it.

    Returns the built component when ``build`` is true, else the config object.
    """
    from noether.core.config.converter import structure, unstructure
    from noether.core.registry import get_registry

    registry = get_registry()
    reg = registry.resolve(family, kind)
    config = structure(dict(example), reg.config_class())
    data = unstructure(config)
    assert structure(data, reg.config_class()) == config, f"{kind}: structure(unstructure(x)) != x"
    for key, value in example.items():
        assert data.get(key) == value, f"{kind}: '{key}' did not survive unstructure ({data.get(key)!r})"
    if not build:
        return config
    return registry.build(family, config, kind=kind, **build_kwargs)


def check_distribution(distribution: str) -> list[str]:
    """Every kind registered by ``distribution``: config class is a schema, component imports, docs exist.

    Returns the checked ``family:kind`` names; raises AssertionError listing every problem.
    """
    from noether.core.registry import get_registry
    from noether.core.schemas import Schema

    registry = get_registry()
    problems: list[str] = []
    checked: list[str] = []
    for reg in registry.registrations():
        if reg.provider.distribution != distribution:
            continue
        name = f"{reg.family}:{reg.kind}"
        checked.append(name)
        try:
            cls = reg.config_class()
            if not issubclass(cls, Schema):
                problems.append(f"{name}: config {cls.__name__} does not subclass noether.core.schemas.Schema")
            if not (cls.__doc__ or "").strip():
                problems.append(f"{name}: config {cls.__name__} has no docstring")
            if reg.component is not None:
                reg.component_class()
        except Exception as exc:
            problems.append(f"{name}: {type(exc).__name__}: {exc}")
    if not checked:
        problems.append(f"distribution '{distribution}' registers no kinds (is it installed?)")
    assert not problems, "\n".join(problems)
    return checked
