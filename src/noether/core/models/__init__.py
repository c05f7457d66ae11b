"""Models: the :class:`Model` base, the built-in MLP and the composite of named submodels.

Names resolve lazily so that importing this package does not import torch.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "Model": "noether.core.models.base",
    "MLP": "noether.core.models.mlp",
    "CompositeModel": "noether.core.models.composite",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(module), name)
