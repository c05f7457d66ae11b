"""Which mask of a padded CFD batch belongs to a field (``surface_pressure`` -> ``surface_mask``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

POINT_SET_PREFIXES = ("surface", "volume", "geometry", "supernode")


def point_set_of(key: str) -> str | None:
    """The point set a batch key belongs to, by its prefix (``None`` for per-sample keys)."""
    prefix = key.split("_", 1)[0]
    return prefix if prefix in POINT_SET_PREFIXES and "_" in key else None


def mask_for(batch: Mapping[str, Any], key: str) -> Any:
    """The ``(B, N)`` mask of ``key``'s point set in ``batch``, or ``None`` (unpadded or per-sample)."""
    point_set = point_set_of(key)
    return None if point_set is None else batch.get(f"{point_set}_mask")
