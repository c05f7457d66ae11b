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
    _CACHE.clear()


#: Directions already looked up: every logged step asks again for the same few keys.
_CACHE: dict[str, Direction] = {}


def metric_direction(key: str) -> Direction:
    """The direction of ``key``: first matching rule; unknown names count as higher-is-better."""
    found = _CACHE.get(key)
    if found is not None:
        return found
    lowered = key.lower()
    result: Direction = "higher"
    for pattern, direction in _RULES:
        if fnmatch.fnmatchcase(lowered, pattern):
            result = direction
            break
    _CACHE[key] = result
    return result
