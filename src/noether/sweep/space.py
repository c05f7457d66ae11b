"""The search space of a sweep: which command-line words vary, and the points drawn from them.

A word ``key=VALUES`` varies when VALUES is

* ``a,b,c`` or ``choice(a,b,c)``: those values (YAML, as an override would read them);
* ``range(start,stop[,step])``: the integers of Python's ``range`` (``stop`` excluded);
* ``uniform(low,high)``, ``loguniform(low,high)``, ``randint(low,high)`` (``high`` included): random search only.

Any other word is a fixed override. Commas inside ``[...]``, ``{...}`` or quotes do not split a value, so
``trainer.target_properties=[a, b]`` stays one list. ``grid`` takes every combination of the listed values;
``random`` draws ``count`` points with a seeded generator (the same seed gives the same points).
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Sequence

import attrs

_CALL = re.compile(r"^(range|choice|uniform|loguniform|randint)\((.*)\)$", re.DOTALL)


class SpaceError(ValueError):
    """A sweep word that cannot be read (the message quotes it and says how to write it)."""


@attrs.frozen
class Axis:
    """One varying key: a list of values (YAML text), or a distribution for random search."""

    key: str
    values: tuple[str, ...] = ()
    distribution: str | None = None  # "uniform", "loguniform", "randint"
    low: float = 0.0
    high: float = 0.0

    def sample(self, rng: random.Random) -> str:
        """One value, drawn with ``rng``."""
        if self.distribution is None:
            return rng.choice(self.values)
        if self.distribution == "randint":
            return str(rng.randint(int(self.low), int(self.high)))
        if self.distribution == "loguniform":
            return f"{math.exp(rng.uniform(math.log(self.low), math.log(self.high))):.6g}"
        return f"{rng.uniform(self.low, self.high):.6g}"


@attrs.frozen
class Point:
    """One configuration of a sweep: its index and the overrides that make it."""

    index: int
    assignments: tuple[tuple[str, str], ...]

    @property
    def overrides(self) -> list[str]:
        """``key=value`` words for ``noether run``."""
        return [f"{key}={value}" for key, value in self.assignments]

    @property
    def run_id(self) -> str:
        """The run id (and directory name) of the point inside its sweep."""
        return f"p{self.index:03d}"


def split_top_level(text: str) -> list[str]:
    """``a, [b, c], 'd,e'`` -> ``['a', '[b, c]', "'d,e'"]``: commas outside brackets and quotes split."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    current = ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += ch
    parts.append(current.strip())
    return parts


def _number(text: str, word: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise SpaceError(f"{word!r}: {text!r} is not a number") from None


def parse_word(word: str) -> Axis | None:
    """The axis a command-line word describes, or None when it is a fixed override."""
    key, sep, value = word.partition("=")
    if not sep or key.startswith("~") or not key.strip():
        return None
    key, value = key.strip(), value.strip()
    call = _CALL.match(value)
    if call:
        name, inner = call.group(1), call.group(2)
        args = [a for a in split_top_level(inner) if a != ""]
        if name == "choice":
            if not args:
                raise SpaceError(f"{word!r}: choice() needs at least one value")
            return Axis(key, tuple(args))
        if name == "range":
            try:
                numbers = [int(a) for a in args]
            except ValueError:
                raise SpaceError(f"{word!r}: range() takes integers, e.g. range(1,5) or range(0,10,2); "
                                 "write float values out as a list: 0.1,0.2,0.3") from None
            if not 1 <= len(numbers) <= 3 or (len(numbers) == 3 and numbers[2] == 0):
                raise SpaceError(f"{word!r}: write range(stop), range(start,stop) or range(start,stop,step)")
            values = tuple(str(n) for n in range(*numbers))
            if not values:
                raise SpaceError(f"{word!r}: the range is empty")
            return Axis(key, values)
        if len(args) != 2:
            raise SpaceError(f"{word!r}: {name}() takes two numbers, low and high")
        low, high = _number(args[0], word), _number(args[1], word)
        if not low < high or (name == "loguniform" and low <= 0):
            raise SpaceError(f"{word!r}: need low < high" + (" and low > 0" if name == "loguniform" else ""))
        if name == "randint" and not (low.is_integer() and high.is_integer()):
            raise SpaceError(f"{word!r}: randint() takes integers")
        return Axis(key, (), name, low, high)
    if value[:1] in "[{'\"":
        return None  # a list, mapping or quoted string: one value
    parts = split_top_level(value)
    if len(parts) < 2:
        return None
    if any(p == "" for p in parts):
        raise SpaceError(f"{word!r}: an empty value between commas; write key=a,b,c")
    return Axis(key, tuple(parts))


def split_words(words: Sequence[str]) -> tuple[list[str], list[Axis]]:
    """Fixed overrides and axes of a sweep's command line (each key may vary once)."""
    fixed: list[str] = []
    axes: list[Axis] = []
    for word in words:
        axis = parse_word(word)
        if axis is None:
            fixed.append(word)
            continue
        if any(a.key == axis.key for a in axes):
            raise SpaceError(f"{word!r}: '{axis.key}' already varies; give its values once")
        axes.append(axis)
    return fixed, axes


def grid(axes: Sequence[Axis]) -> list[Point]:
    """Every combination of the axes' values, the last axis varying fastest."""
    random_axes = [a.key for a in axes if a.distribution is not None]
    if random_axes:
        raise SpaceError(f"{', '.join(random_axes)}: distributions need a random search (--random N)")
    combos = itertools.product(*(a.values for a in axes))
    return [Point(i, tuple(zip((a.key for a in axes), combo, strict=True))) for i, combo in enumerate(combos)]


def random_points(axes: Sequence[Axis], count: int, seed: int) -> list[Point]:
    """``count`` points drawn with ``random.Random(seed)``."""
    if count < 1:
        raise SpaceError(f"--random needs a positive number of points, got {count}")
    rng = random.Random(seed)
    return [Point(i, tuple((a.key, a.sample(rng)) for a in axes)) for i in range(count)]
