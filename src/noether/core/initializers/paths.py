"""Where the checkpoints of a run live (kept as an import path; the names are owned by ``noether.core.layout``)."""

from __future__ import annotations

from noether.core.layout import checkpoint_directory, run_directory
from noether.core.time import normalize_tag

__all__ = ["checkpoint_directory", "normalize_tag", "run_directory"]
