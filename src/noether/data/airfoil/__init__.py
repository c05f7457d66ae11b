"""The built-in example: potential flow past Joukowski airfoils, generated on first use, and models for it.

Names are imported lazily: :mod:`noether.data.airfoil.schemas` must stay importable without torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "AirfoilDataset": "noether.data.airfoil.dataset",
    "AirfoilTransformer": "noether.data.airfoil.models",
    "AirfoilMLP": "noether.data.airfoil.models",
    "AirfoilDatasetConfig": "noether.data.airfoil.schemas",
    "AirfoilTransformerConfig": "noether.data.airfoil.schemas",
    "AirfoilMLPConfig": "noether.data.airfoil.schemas",
}

if TYPE_CHECKING:
    from noether.data.airfoil.dataset import AirfoilDataset
    from noether.data.airfoil.models import AirfoilMLP, AirfoilTransformer
    from noether.data.airfoil.schemas import AirfoilDatasetConfig, AirfoilMLPConfig, AirfoilTransformerConfig

__all__ = [
    "AirfoilDataset",
    "AirfoilDatasetConfig",
    "AirfoilMLP",
    "AirfoilMLPConfig",
    "AirfoilTransformer",
    "AirfoilTransformerConfig",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'noether.data.airfoil' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
