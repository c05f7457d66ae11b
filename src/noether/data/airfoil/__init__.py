"""The built-in example: potential flow past Joukowski airfoils, generated on first use, and models for it.

Names are imported lazily: :mod:`noether.data.airfoil.schemas` must stay importable without torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from noether._lazy import lazy_getattr

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


__getattr__ = lazy_getattr("noether.data.airfoil", _LAZY)
