"""Field constraints expressed as ``Annotated`` metadata.

Constraints live in the type (``Annotated[int, Gt(0)]``) so that the converter reports a violation at the field's
own path, together with every other problem, instead of at the class path as attrs validators would.

They are frozen records (:mod:`noether._records`: attrs' repr, equality, hash and immutability, without the
cost of creating an attrs class, since every start imports them); a constraint of your own may be an attrs
class, ``@attrs.frozen class MyRule(Constraint)``, or a record like these.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from noether._records import FrozenRecord

_set = object.__setattr__


class Constraint(FrozenRecord):
    """Base of all constraints; ``check`` returns an error message or ``None``."""

    __slots__ = ()

    def check(self, value: Any) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        """The rule in words, for docs and the JSON Schema."""
        raise NotImplementedError  # pragma: no cover


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Gt(Constraint):
    """Value must be strictly greater than ``bound``."""

    __slots__ = __fields__ = __match_args__ = ("bound",)
    bound: float

    def __init__(self, bound: float) -> None:
        _set(self, "bound", bound)

    def check(self, value: Any) -> str | None:
        return None if not _num(value) or value > self.bound else f"must be > {self.bound}, got {value!r}"

    def describe(self) -> str:
        return f"> {self.bound}"


class Ge(Constraint):
    """Value must be greater than or equal to ``bound``."""

    __slots__ = __fields__ = __match_args__ = ("bound",)
    bound: float

    def __init__(self, bound: float) -> None:
        _set(self, "bound", bound)

    def check(self, value: Any) -> str | None:
        return None if not _num(value) or value >= self.bound else f"must be >= {self.bound}, got {value!r}"

    def describe(self) -> str:
        return f">= {self.bound}"


class Between(Constraint):
    """Value must lie in an interval; ``open_low``/``open_high`` exclude the ends."""

    __slots__ = __fields__ = __match_args__ = ("low", "high", "open_low", "open_high")
    low: float
    high: float
    open_low: bool
    open_high: bool

    def __init__(self, low: float, high: float, open_low: bool = False, open_high: bool = False) -> None:
        _set(self, "low", low)
        _set(self, "high", high)
        _set(self, "open_low", open_low)
        _set(self, "open_high", open_high)

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


class NonBlank(Constraint):
    """A string that is not empty or only whitespace."""

    __slots__ = ()

    def check(self, value: Any) -> str | None:
        return "cannot be an empty string" if isinstance(value, str) and not value.strip() else None

    def describe(self) -> str:
        return "non-blank string"


class NonEmpty(Constraint):
    """A collection with at least one item."""

    __slots__ = ()

    def check(self, value: Any) -> str | None:
        return "must not be empty" if hasattr(value, "__len__") and len(value) == 0 else None

    def describe(self) -> str:
        return "non-empty"


class Matches(Constraint):
    """A string (or the string form of an int) matching a regular expression."""

    __slots__ = __fields__ = __match_args__ = ("pattern", "meaning", "flags")
    pattern: str
    meaning: str
    flags: int

    def __init__(self, pattern: str, meaning: str, flags: int = 0) -> None:
        _set(self, "pattern", pattern)
        _set(self, "meaning", meaning)
        _set(self, "flags", flags)

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
