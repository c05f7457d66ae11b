"""The type rules every config value follows, shared by the converter and by direct construction.

The converter (``noether.core.config.converter``) turns plain data into config objects and uses the scalar
rules here; :func:`value_issues` checks values handed to a config class directly in Python against the same
rules, without converting anything. Neither imports the other, so schemas stay free of the converter.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import attrs

from noether._records import FrozenRecord
from noether.core.errors import Issue, PathPart, describe_value
from noether.core.schemas._constraints import Constraint

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


# The markers are frozen records (noether._records), not attrs classes: every start creates them.
class OpenUnion(FrozenRecord):
    """Marks a field type as "any registered config of ``family``", selected by ``discriminator``.

    The union is open: the registry is consulted when a document is structured, so a plugin that registers a
    new kind makes it valid everywhere the family is used. ``base`` is the class used when the discriminator
    key is absent (``None`` makes the key required).
    """

    __slots__ = __fields__ = __match_args__ = ("family", "discriminator", "base", "none_strings")
    family: str
    discriminator: str
    base: type | None
    none_strings: tuple[str, ...]

    def __init__(self, family: str, discriminator: str = "kind", base: type | None = None,
                 none_strings: tuple[str, ...] = ()) -> None:
        set_field = object.__setattr__
        set_field(self, "family", family)
        set_field(self, "discriminator", discriminator)
        set_field(self, "base", base)
        set_field(self, "none_strings", none_strings)


class AllowNonFinite(FrozenRecord):
    """Marks a float field where NaN and infinities mean something (statistics); other floats must be finite."""

    __slots__ = ()


class PlainData(FrozenRecord):
    """Marks a field holding free-form data: mappings with string keys, lists, strings, numbers, booleans, null.

    Exactly what YAML can write back, so printing a resolved config never fails.
    """

    __slots__ = ()


class NumberArray(FrozenRecord):
    """Marks a field holding one number or a (nested) list of numbers, all finite."""

    __slots__ = ()


#: Free-form, YAML-representable data (optimizer keyword arguments, initializer kwargs).
PlainValue = Annotated[Any, PlainData()]
#: A float that may be NaN or infinite.
AnyFloat = Annotated[float, AllowNonFinite()]
#: A number or a nested list of numbers (one entry per feature).
ArrayLike = Annotated[Any, NumberArray()]


# -- scalar rules ---------------------------------------------------------------------------------------------
def int_problem(value: Any) -> str | None:
    """Why ``value`` is not a config integer (a real int, not a bool, that fits in 64 bits), or ``None``."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"expected an integer, got {describe_value(value)}"
    if not INT64_MIN <= value <= INT64_MAX:
        return f"must fit in a 64-bit integer, got an integer of {value.bit_length()} bits"
    return None


def float_problem(value: Any, *, finite: bool = True) -> str | None:
    """Why ``value`` is not a config number (int or float, not bool; finite unless ``finite=False``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"expected a number, got {describe_value(value)}"
    if isinstance(value, int):
        return int_problem(value)
    if finite and not math.isfinite(value):
        return f"must be a finite number, got {value}"
    return None


def canonical_float(value: int | float) -> float:
    """``float(value)``, with every NaN mapped to :data:`math.nan` so that configs holding NaN compare equal."""
    result = float(value)
    return math.nan if result != result else result


def with_canonical_nan(value: Any) -> Any:
    """``value`` with every NaN float (inside lists, tuples and dicts too) replaced by :data:`math.nan`.

    Returns ``value`` itself when it holds no NaN. attrs compares fields as tuples, which treat the same object
    as equal, so one canonical NaN makes ``structure(unstructure(x)) == x`` hold for configs holding NaN.
    """
    if isinstance(value, float):
        return math.nan if value != value else value
    if isinstance(value, list | tuple):
        items = [with_canonical_nan(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    if isinstance(value, dict):
        changed = {k: with_canonical_nan(v) for k, v in value.items()}
        return value if all(changed[k] is v for k, v in value.items()) else changed
    return value


def bool_problem(value: Any) -> str | None:
    """Why ``value`` is not ``true``/``false``."""
    return None if isinstance(value, bool) else f"expected true or false, got {describe_value(value)}"


def str_problem(value: Any) -> str | None:
    """Why ``value`` is not a string."""
    return None if isinstance(value, str) else f"expected a string, got {describe_value(value)}"


def describe_shape(value: Any) -> str:
    """The kind of value found, for "expected a list, got ..." messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {describe_value(value)}"
    if isinstance(value, int):
        return f"the integer {describe_value(value)}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, Mapping):
        return f"a mapping {describe_value(dict(value))}"
    if isinstance(value, list | tuple):
        return f"a list {describe_value(list(value))}"
    return describe_value(value)


#: How deeply free-form data and number arrays may nest (far more than any real config needs).
MAX_DEPTH = 64


def plain_data_issues(value: Any, path: tuple[PathPart, ...] = (), depth: int = 0) -> Iterator[Issue]:
    """Every place in ``value`` that is not plain YAML data (non-string keys, sets, dates, objects, ...)."""
    if depth > MAX_DEPTH:
        yield Issue(path, f"nested more than {MAX_DEPTH} levels deep")
        return
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        message = int_problem(value)
        if message:
            yield Issue(path, message)
    elif isinstance(value, float):
        return
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from plain_data_issues(item, (*path, index), depth + 1)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                yield Issue(path, f"keys must be strings, got the key {describe_value(key)}")
            else:
                yield from plain_data_issues(item, (*path, key), depth + 1)
    else:
        yield Issue(path, f"expected plain data (a string, number, boolean, null, list or mapping), "
                          f"got {describe_value(value)} ({type(value).__name__})")


def number_array_issues(value: Any, path: tuple[PathPart, ...] = (), depth: int = 0) -> Iterator[Issue]:
    """Every place in ``value`` that is not a finite number in a number or a nested list of numbers."""
    if depth > MAX_DEPTH:
        yield Issue(path, f"nested more than {MAX_DEPTH} levels deep")
        return
    if isinstance(value, list | tuple):
        if not value:
            yield Issue(path, "expected a number or a non-empty list of numbers, got an empty list")
        for index, item in enumerate(value):
            yield from number_array_issues(item, (*path, index), depth + 1)
        return
    message = float_problem(value)
    if message:
        expected = "expected a number or a list of numbers"
        yield Issue(path, message if message.startswith("must") else f"{expected}, got {describe_shape(value)}")


# -- type names and shapes ------------------------------------------------------------------------------------
def annotation(tp: Any, marker: type) -> Any:
    """The first metadata item of ``Annotated[..., item]`` that is a ``marker``, else ``None``."""
    if typing.get_origin(tp) is not Annotated:
        return None
    return next((m for m in typing.get_args(tp)[1:] if isinstance(m, marker)), None)


def is_union(tp: Any) -> bool:
    """``A | B`` or ``Optional[A]``."""
    return typing.get_origin(tp) in (Union, types.UnionType)


_SEQUENCES = (list, tuple, set, frozenset)


def type_name(tp: Any) -> str:
    """A type in words: ``a list``, ``an integer``, ``a schedule mapping``."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        union = annotation(tp, OpenUnion)
        if union is not None:
            return f"a {union.family} mapping"
        if annotation(tp, NumberArray) is not None:
            return "a number or a list of numbers"
        return type_name(typing.get_args(tp)[0])
    if origin in _SEQUENCES or tp in _SEQUENCES:
        return "a list"
    if origin is dict or origin is Mapping or tp is dict:
        return "a mapping"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    names = {int: "an integer", float: "a number", str: "a string", bool: "true/false", Path: "a path"}
    if tp in names:
        return names[tp]
    return getattr(tp, "__name__", str(tp))


def plausible(value: Any, tp: Any) -> bool:
    """A cheap test of whether ``value`` has the shape of a ``tp``, to pick the one union member that applies."""
    origin = typing.get_origin(tp) or tp
    if origin is Annotated:
        if annotation(tp, NumberArray) is not None:
            return isinstance(value, list | tuple) or plausible(value, float)
        if annotation(tp, OpenUnion) is not None:
            return isinstance(value, Mapping | str)
        return plausible(value, typing.get_args(tp)[0])
    if origin in _SEQUENCES:
        return isinstance(value, list | tuple | set | frozenset)
    if origin in (dict, Mapping) or attrs.has(origin):
        return isinstance(value, Mapping) or (attrs.has(origin) and isinstance(value, origin))
    if origin is bool:
        return isinstance(value, bool)
    if origin is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if origin is str:
        return isinstance(value, str)
    if origin is Literal:
        return any(value == a and type(value) is type(a) for a in typing.get_args(tp))
    return True


def literal_problem(value: Any, tp: Any) -> str | None:
    """Why ``value`` is not one of the values of ``Literal[...]`` (``True`` is not ``1``)."""
    allowed = typing.get_args(tp)
    if any(value == a and isinstance(value, bool) == isinstance(a, bool) for a in allowed):
        return None
    return f"must be one of {', '.join(repr(a) for a in allowed)}, got {describe_value(value)}"


# -- direct construction ---------------------------------------------------------------------------------------
def value_issues(tp: Any, value: Any, path: tuple[PathPart, ...] = ()) -> Iterator[Issue]:
    """Every way ``value`` (given in Python, not converted) breaks the rules of the field type ``tp``.

    The rules are the converter's: strict scalars, 64-bit ints, finite floats, list fields take lists, mapping
    fields take mappings with valid keys, constraints, and nested configs given as config objects. A plain
    mapping where a config object belongs is rejected, not structured: structuring by ``kind`` needs the
    registry, which schemas do not import (use ``noether.structure`` for plain data).
    """
    if tp is Any or tp is typing.Any:
        return
    origin = typing.get_origin(tp)
    if origin is Annotated:
        yield from _annotated_issues(tp, value, path)
    elif is_union(tp):
        yield from _union_issues(tp, value, path)
    elif origin is Literal:
        message = literal_problem(value, tp)
        if message:
            yield Issue(path, message)
    elif origin in _SEQUENCES or tp in _SEQUENCES:
        yield from _sequence_issues(tp, value, path)
    elif origin in (dict, Mapping) or tp in (dict, Mapping):
        yield from _mapping_issues(tp, value, path)
    else:
        message = _scalar_problem(tp, value)
        if message:
            yield Issue(path, message)


def _annotated_issues(tp: Any, value: Any, path: tuple[PathPart, ...]) -> Iterator[Issue]:
    base, *meta = typing.get_args(tp)
    union = next((m for m in meta if isinstance(m, OpenUnion)), None)
    if union is not None:
        # any config of the family: the Annotated type bounds it (``union.base`` is only the default class)
        yield from _config_object_issues(base, value, path, union.family, union.base)
        return
    if any(isinstance(m, PlainData) for m in meta):
        yield from plain_data_issues(value, path)
        return
    if any(isinstance(m, NumberArray) for m in meta):
        yield from number_array_issues(value, path)
        return
    if base is float and any(isinstance(m, AllowNonFinite) for m in meta):
        message = float_problem(value, finite=False)
        found = [Issue(path, message)] if message else []
    else:
        found = list(value_issues(base, value, path))
    if found:
        hint = next((m for m in meta if isinstance(m, TypeHint)), None)
        if hint is not None:
            found[0] = attrs.evolve(found[0], message=f"{found[0].message}; {hint.text}")
        yield from found
        return
    for constraint in (m for m in meta if isinstance(m, Constraint)):
        message = constraint.check(value)
        if message:
            yield Issue(path, message)
            return


def _union_issues(tp: Any, value: Any, path: tuple[PathPart, ...]) -> Iterator[Issue]:
    args = typing.get_args(tp)
    members = [m for m in args if m is not type(None)]
    if value is None:
        if len(members) == len(args):
            yield Issue(path, "a value is required here, got null")
        return
    candidates = [m for m in members if plausible(value, m)] or members
    results = [list(value_issues(m, value, path)) for m in candidates]
    if any(not found for found in results):
        return
    if len(candidates) == 1:
        yield from results[0]
    elif all(not plausible(value, m) for m in members):
        yield Issue(path, f"expected {' or '.join(type_name(m) for m in members)}, got {describe_shape(value)}")
    else:
        yield from results[0]


def _sequence_issues(tp: Any, value: Any, path: tuple[PathPart, ...]) -> Iterator[Issue]:
    origin = typing.get_origin(tp) or tp
    if not isinstance(value, list | tuple | set | frozenset) or (
        origin in (list, tuple) and not isinstance(value, list | tuple)
    ):
        yield Issue(path, f"expected a list, got {describe_shape(value)}")
        return
    args = typing.get_args(tp)
    if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        if len(value) != len(args):
            yield Issue(path, f"expected a list of {len(args)} items, got {len(value)}")
            return
        for index, (item_tp, item) in enumerate(zip(args, value, strict=True)):
            yield from value_issues(item_tp, item, (*path, index))
        return
    item_tp = args[0] if args else Any
    for index, item in enumerate(value):
        yield from value_issues(item_tp, item, (*path, index))


def _mapping_issues(tp: Any, value: Any, path: tuple[PathPart, ...]) -> Iterator[Issue]:
    if not isinstance(value, Mapping):
        yield Issue(path, f"expected a mapping (key: value), got {describe_shape(value)}")
        return
    args = typing.get_args(tp)
    key_tp, item_tp = args if len(args) == 2 else (Any, Any)
    for key, item in value.items():
        key_issues = list(value_issues(key_tp, key, path))
        if key_issues:
            yield Issue(path, f"key {describe_value(key)}: {key_issues[0].message}")
            continue
        yield from value_issues(item_tp, item, (*path, key))


def _config_object_issues(cls: Any, value: Any, path: tuple[PathPart, ...], family: str,
                          example: type | None) -> Iterator[Issue]:
    if isinstance(cls, type) and isinstance(value, cls) and attrs.has(type(value)):
        return
    if isinstance(value, Mapping):
        hint = f" (e.g. {example.__name__}(...))" if example is not None else ""
        yield Issue(path, f"got a plain mapping where a {family} config object belongs: pass a config "
                          f"object{hint}, or build from plain data with noether.structure()")
    else:
        yield Issue(path, f"expected a {family} config object, got {describe_value(value)}")


def _scalar_problem(tp: Any, value: Any) -> str | None:
    if tp is int:
        return int_problem(value)
    if tp is float:
        return float_problem(value)
    if tp is bool:
        return bool_problem(value)
    if tp is str:
        return str_problem(value)
    if tp is Path:
        return None if isinstance(value, Path) else f"expected a path, got {describe_value(value)}"
    if isinstance(tp, type) and attrs.has(tp):
        if isinstance(value, tp):
            return None
        if isinstance(value, Mapping):
            return (f"got a plain mapping where a {tp.__name__} object belongs: pass {tp.__name__}(...), or "
                    f"build from plain data with noether.structure()")
        return f"expected a {tp.__name__} object, got {describe_value(value)}"
    if isinstance(tp, type) and not isinstance(value, tp):
        return f"expected {type_name(tp)}, got {describe_value(value)}"
    return None


class TypeHint(FrozenRecord):
    """A sentence added to the message when a field's value has the wrong type (a known migration trap)."""

    __slots__ = __fields__ = __match_args__ = ("text",)
    text: str

    def __init__(self, text: str) -> None:
        object.__setattr__(self, "text", text)
