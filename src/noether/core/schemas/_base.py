"""The base of every schema class: frozen, keyword-only attrs classes that validate themselves.

Validation happens in two places that share one rule set:

* the converter checks types and the ``Annotated`` constraints of every field while structuring, so that all
  problems of a document are reported together at their own paths;
* ``__attrs_post_init__`` re-checks the constraints and runs the cross-field rules (``_check``), so objects
  built directly from Python are held to the same rules.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar, Literal, Union

import attrs

from noether.core.errors import ConfigError, Issue
from noether.core.schemas._constraints import Constraint


@attrs.frozen
class OpenUnion:
    """Marks a field type as "any registered config of ``family``", selected by ``discriminator``.

    The union is open: the registry is consulted when a document is structured, so a plugin that registers a
    new kind makes it valid everywhere the family is used. ``base`` is the class used when the discriminator
    key is absent (``None`` makes the key required).
    """

    family: str
    discriminator: str = "kind"
    base: type | None = None
    none_strings: tuple[str, ...] = ()


@attrs.frozen
class _Rule:
    constraints: tuple[Constraint, ...] = ()
    literals: tuple[Any, ...] | None = None
    item: _Rule | None = None


def _analyze(tp: Any) -> _Rule:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        base, *meta = typing.get_args(tp)
        inner = _analyze(base)
        extra = tuple(m for m in meta if isinstance(m, Constraint))
        return attrs.evolve(inner, constraints=inner.constraints + extra)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _analyze(args[0]) if len(args) == 1 else _Rule()
    if origin is Literal:
        return _Rule(literals=typing.get_args(tp))
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(tp)
        if args and (origin is not tuple or (len(args) == 2 and args[1] is Ellipsis)):
            item = _analyze(args[0])
            if item.constraints or item.literals is not None:
                return _Rule(item=item)
    return _Rule()


_RULES: dict[type, list[tuple[str, _Rule]]] = {}


def field_rules(cls: type) -> list[tuple[str, _Rule]]:
    """The constraint rules of every field of a schema class (cached per class)."""
    rules = _RULES.get(cls)
    if rules is None:
        hints = typing.get_type_hints(cls, include_extras=True)
        rules = []
        for f in attrs.fields(cls):
            rule = _analyze(hints.get(f.name, Any))
            if rule != _Rule():
                rules.append((f.name, rule))
        _RULES[cls] = rules
    return rules


def check_value(rule: _Rule, value: Any) -> str | None:
    """Apply one rule to one (non-None) value; returns the first message or ``None``."""
    if rule.literals is not None and value not in rule.literals:
        allowed = ", ".join(repr(v) for v in rule.literals)
        return f"must be {allowed}, got {value!r}"
    for constraint in rule.constraints:
        msg = constraint.check(value)
        if msg:
            return msg
    return None


def _field_issues(obj: Schema) -> Iterator[Issue]:
    for name, rule in field_rules(type(obj)):
        value = getattr(obj, name)
        if value is None:
            continue
        if rule.item is not None and isinstance(value, list | tuple | set | frozenset):
            for index, item in enumerate(value):
                msg = check_value(rule.item, item)
                if msg:
                    yield Issue((name, index), msg)
        msg = check_value(rule, value) if rule.item is None else None
        if msg:
            yield Issue((name,), msg)


@attrs.frozen(kw_only=True)
class Schema:
    """Base of all Noether config classes.

    Subclasses declare fields with ``Annotated`` constraints and put cross-field rules in ``_check``, which
    yields ``(field_name, message)`` pairs; every violation is collected into one :class:`ConfigError`.
    """

    #: Alternative input keys accepted for a field (``{"normalizers": "dataset_normalizers"}``).
    __aliases__: ClassVar[dict[str, str]] = {}
    #: Input keys that are accepted and dropped (kept for compatibility with upstream files).
    __ignored_keys__: ClassVar[frozenset[str]] = frozenset()
    #: Name of a ``dict`` field that collects unknown keys instead of rejecting them.
    __extra_field__: ClassVar[str | None] = None

    def __attrs_post_init__(self) -> None:
        issues = list(_field_issues(self))
        if not issues:
            issues.extend(Issue((name,) if name else (), message) for name, message in self._check())
        if issues:
            raise ConfigError(issues, f"invalid {type(self).__name__}")

    def _check(self) -> Iterator[tuple[str, str]]:
        """Cross-field rules; yields ``(field_name, message)`` for each violation."""
        return iter(())


def exactly_one(obj: object, names: tuple[str, ...], *, allow_none: bool = False) -> Iterator[tuple[str, str]]:
    """Yield a problem unless exactly one (or, with ``allow_none``, at most one) of ``names`` is set."""
    given = [n for n in names if getattr(obj, n) is not None]
    listed = ", ".join(f"'{n}'" for n in names)
    if len(given) > 1:
        yield given[1], f"only one of {listed} may be set, got {', '.join(given)}"
    elif not given and not allow_none:
        yield names[0], f"exactly one of {listed} must be set"


def both_or_neither(obj: object, first: str, second: str) -> Iterator[tuple[str, str]]:
    """Yield a problem when exactly one of two paired fields is set."""
    a, b = getattr(obj, first), getattr(obj, second)
    if (a is None) != (b is None):
        missing = first if a is None else second
        yield missing, f"'{first}' and '{second}' must be set together"
