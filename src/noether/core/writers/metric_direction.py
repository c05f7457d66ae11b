"""Whether higher or lower values of a metric are better, from its name."""

from __future__ import annotations

import fnmatch
import math
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


class BestValue:
    """The best value of one metric so far (the one "is it better" rule of best checkpoints, best-metric
    reporting and early stopping): strictly better in the metric's direction; NaN never improves."""

    def __init__(self, metric_key: str) -> None:
        self.higher_is_better = metric_direction(metric_key) == "higher"
        self.best: float | None = None

    def improves(self, value: float) -> bool:
        """Whether ``value`` beats the best so far (without recording it)."""
        if math.isnan(value):
            return False
        best = self.best
        return best is None or (value > best if self.higher_is_better else value < best)

    def update(self, value: float) -> bool:
        """Record ``value`` when it improves; returns whether it did."""
        if self.improves(value):
            self.best = value
            return True
        return False
