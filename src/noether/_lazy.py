"""Lazy package attributes: public names resolve on first access, so importing a package stays cheap."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``names[name]`` (a module path) when ``name`` is first used."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module '{package}' has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__


def lazy_dir(namespace: Mapping[str, Any], names: Mapping[str, str]) -> Callable[[], list[str]]:
    """A module ``__dir__`` listing the module's own names and the lazy ones (for completion and ``dir()``)."""

    def __dir__() -> list[str]:
        return sorted({*namespace, *names})

    return __dir__
