"""Noether: config-driven PyTorch training for engineering AI.

The public API is imported lazily so that ``import noether`` (and the CLI) stay free of torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from noether._lazy import lazy_getattr
from noether._version import __version__

_LAZY = {
    "structure": "noether.core.config.converter",
    "unstructure": "noether.core.config.converter",
    "load_config": "noether.core.config.loader",
    "ConfigError": "noether.core.errors",
    "Issue": "noether.core.errors",
    "hookimpl": "noether.core.registry.hookspecs",
    "run": "noether.training.runner",
    "RunResult": "noether.training.runner",
}

if TYPE_CHECKING:
    from noether.core.config.converter import structure, unstructure
    from noether.core.config.loader import load_config
    from noether.core.errors import ConfigError, Issue
    from noether.core.registry.hookspecs import hookimpl
    from noether.training.runner import RunResult, run

__all__ = [
    "ConfigError",
    "Issue",
    "RunResult",
    "__version__",
    "hookimpl",
    "load_config",
    "run",
    "structure",
    "unstructure",
]


__getattr__ = lazy_getattr("noether", _LAZY)
