"""The progress curves shared by every schedule: pure float math, clamped at both ends."""

from __future__ import annotations

import math


def fraction(step: int, total: int) -> float:
    """How far ``step`` is through ``total`` steps: ``step / max(1, total - 1)``, clamped to [0, 1].

    The denominator is ``total - 1`` so that the last update of a run (step ``total - 1``) reaches the end
    value exactly; the clamp makes ``step == total`` return the end value too instead of overshooting
    (upstream returned e.g. 0.00025 instead of 0 for a cosine at step == total == 100).
    """
    return min(max(step / max(1, total - 1), 0.0), 1.0)


def linear(p: float) -> float:
    """Linear progress."""
    return p


def cosine(p: float) -> float:
    """Half-cosine progress: slow at both ends."""
    return 1.0 - (1.0 + math.cos(math.pi * p)) / 2.0


def polynomial(p: float, power: float) -> float:
    """Polynomial progress ``1 - (1 - p) ** power``."""
    return 1.0 - (1.0 - p) ** power


def interpolate(start: float, end: float, progress: float) -> float:
    """``start + progress * (end - start)``, exactly ``end`` at progress 1 and never outside [start, end].

    Rounding in ``start + (end - start)`` can miss ``end`` by an ulp; values are clamped so that a schedule
    never leaves the interval spanned by its configured values.
    """
    if progress >= 1.0:
        return end
    value = start + progress * (end - start)
    low, high = (start, end) if start <= end else (end, start)
    return min(max(value, low), high)


def shifted(step: int, total: int, *, exclude_first: bool, exclude_last: bool) -> tuple[int, int]:
    """Apply the exclusions of a progress schedule to a position.

    ``exclude_last`` stretches the curve by one step, so its final value is never reached; ``exclude_first``
    additionally moves every step one ahead, so the first value already moved away from the start.
    """
    if exclude_first:
        step += 1
        total += 1
    if exclude_last:
        total += 1
    return step, total


def floor_fraction(value: float) -> int:
    """``int(value)`` after rounding to 10 decimals, so ``0.29 * 100 = 28.999999999999996`` counts as 29."""
    return math.floor(round(value, 10))
