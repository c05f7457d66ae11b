"""The counters now live in :mod:`noether.core.time`; this module keeps the old import path working."""

from __future__ import annotations

from noether.core.time import TrainingIteration, UpdateCounter

__all__ = ["TrainingIteration", "UpdateCounter"]
