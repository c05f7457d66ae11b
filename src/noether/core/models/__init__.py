"""Models: the :class:`Model` base, the built-in MLP and the composite of named submodels.

Names resolve lazily so that importing this package does not import torch.
"""

from __future__ import annotations

from noether._lazy import lazy_getattr

_LAZY = {
    "Model": "noether.core.models.base",
    "MLP": "noether.core.models.mlp",
    "CompositeModel": "noether.core.models.composite",
}


__getattr__ = lazy_getattr("noether.core.models", _LAZY)
