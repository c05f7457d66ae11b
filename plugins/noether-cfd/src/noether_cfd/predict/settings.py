"""``--set KEY=VALUE`` of ``noether predict``: the conditions and the coefficients' reference quantities."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

from noether.core.errors import with_guesses
from noether_cfd.metrics.forces import Reference
from noether_cfd.predict.errors import PredictError

_REFERENCE_SCALARS = ("area", "length", "velocity", "density")


@attrs.frozen
class PredictSettings:
    """Parsed ``--set`` values: conditions (``None``: not given) and reference overrides."""

    conditions: np.ndarray | None = None
    reference: dict[str, object] = attrs.field(factory=dict)

    def reference_over(self, base: Reference) -> Reference:
        """``base`` with the overrides applied."""
        return attrs.evolve(base, **self.reference)  # type: ignore[arg-type]


def _numbers(key: str, text: str) -> list[float]:
    try:
        values = [float(part) for part in text.replace("[", "").replace("]", "").split(",") if part.strip()]
    except ValueError:
        raise PredictError(f"--set {key}={text}: expected comma-separated numbers, e.g. {key}=0.9,0.4,0.3") from None
    if not values or not all(np.isfinite(values)):
        raise PredictError(f"--set {key}={text}: expected finite numbers")
    return values


def parse_settings(items: Sequence[str]) -> PredictSettings:
    """Parse every ``--set``; unknown keys and malformed values are errors that say what is accepted."""
    conditions = None
    reference: dict[str, object] = {}
    keys = ["conditions", *(f"reference.{k}" for k in (*_REFERENCE_SCALARS, "moment_center"))]
    accepted = ", ".join(keys)
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep:
            raise PredictError(f"--set {item}: expected KEY=VALUE (keys: {accepted})")
        if key == "conditions":
            conditions = np.asarray(_numbers(key, value), dtype=np.float64)
        elif key.startswith("reference.") and key[len("reference."):] in _REFERENCE_SCALARS:
            (number,) = _numbers(key, value)[:1]
            if number <= 0:
                raise PredictError(f"--set {item}: must be > 0")
            reference[key[len("reference."):]] = number
        elif key == "reference.moment_center":
            centre = _numbers(key, value)
            if len(centre) != 3:
                raise PredictError(f"--set {item}: expected 3 coordinates x,y,z")
            reference["moment_center"] = tuple(centre)
        else:
            raise PredictError(f"--set {item}: unknown key {with_guesses([key], keys)} (keys: {accepted})")
    return PredictSettings(conditions, reference)
