"""Field constraints expressed as ``Annotated`` metadata.

Constraints live in the type (``Annotated[int, Gt(0)]``) so that the converter reports a violation at the field's
own path, together with every other problem, instead of at the class path as attrs validators would.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import attrs


@attrs.frozen
class Constraint:
    """Base of all constraints; ``check`` returns an error message or ``None``."""

    def check(self, value: Any) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        """The rule in words, for docs and the JSON Schema."""
        raise NotImplementedError  # pragma: no cover


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@attrs.frozen
class Gt(Constraint):
    """Value must be strictly greater than ``bound``."""

    bound: float

    def check(self, value: Any) -> str | None:
        return None if not _num(value) or value > self.bound else f"must be > {self.bound}, got {value!r}"

    def describe(self) -> str:
        return f"> {self.bound}"


@attrs.frozen
class Ge(Constraint):
    """Value must be greater than or equal to ``bound``."""

    bound: float

    def check(self, value: Any) -> str | None:
        return None if not _num(value) or value >= self.bound else f"must be >= {self.bound}, got {value!r}"

    def describe(self) -> str:
        return f">= {self.bound}"


@attrs.frozen
class Between(Constraint):
    """Value must lie in an interval; ``open_low``/``open_high`` exclude the ends."""

    low: float
    high: float
    open_low: bool = False
    open_high: bool = False

    def check(self, value: Any) -> str | None:
        if not _num(value):
            return None
        ok_low = value > self.low if self.open_low else value >= self.low
        ok_high = value < self.high if self.open_high else value <= self.high
        return None if ok_low and ok_high else f"must be in {self.describe()}, got {value!r}"

    def describe(self) -> str:
        left = "(" if self.open_low else "["
        right = ")" if self.open_high else "]"
        return f"{left}{self.low}, {self.high}{right}"


@attrs.frozen
class NonBlank(Constraint):
    """A string that is not empty or only whitespace."""

    def check(self, value: Any) -> str | None:
        return "cannot be an empty string" if isinstance(value, str) and not value.strip() else None

    def describe(self) -> str:
        return "non-blank string"


@attrs.frozen
class NonEmpty(Constraint):
    """A collection with at least one item."""

    def check(self, value: Any) -> str | None:
        return "must not be empty" if hasattr(value, "__len__") and len(value) == 0 else None

    def describe(self) -> str:
        return "non-empty"


@attrs.frozen
class Matches(Constraint):
    """A string (or the string form of an int) matching a regular expression."""

    pattern: str
    meaning: str
    flags: int = 0

    def check(self, value: Any) -> str | None:
        if value is None or isinstance(value, bool):
            return None
        text = str(value)
        if re.fullmatch(self.pattern, text, self.flags):
            return None
        return f"{text!r} is not {self.meaning}"

    def describe(self) -> str:
        return self.meaning


PositiveInt = Annotated[int, Gt(0)]
NonNegativeInt = Annotated[int, Ge(0)]
NonNegativeFloat = Annotated[float, Ge(0.0)]
PositiveFloat = Annotated[float, Gt(0.0)]
UnitFloat = Annotated[float, Between(0.0, 1.0)]
OpenUnitFloat = Annotated[float, Between(0.0, 1.0, open_low=True, open_high=True)]
NonBlankStr = Annotated[str, NonBlank()]
