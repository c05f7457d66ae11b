"""Whether higher or lower values of a metric are better, from its name."""

from __future__ import annotations

import fnmatch
from typing import Literal

Direction = Literal["higher", "lower", "neutral"]

_RULES: list[tuple[str, Direction]] = [
    *((p, "neutral") for p in (
        "profiler/*", "optim/*", "profiling/*", "ctx/*", "loss_weight/*", "gradient/*", "detach/*",
        "lossdiff/*", "train_time/*", "epoch", "update", "sample",
    )),
    ("*accuracy*", "higher"),
    ("*loss*", "lower"),
    ("*error*", "lower"),
    ("rel_l2*", "lower"),
    ("*/rel_l2*", "lower"),
]


def register_metric_direction(pattern: str, direction: Direction) -> None:
    """Add a rule (checked before the built-in ones) for metric names matching ``pattern``."""
    _RULES.insert(0, (pattern.lower(), direction))


def metric_direction(key: str) -> Direction:
    """The direction of ``key``: first matching rule; unknown names count as higher-is-better."""
    lowered = key.lower()
    for pattern, direction in _RULES:
        if fnmatch.fnmatchcase(lowered, pattern):
            return direction
    return "higher"
