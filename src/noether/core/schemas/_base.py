"""The base of every schema class: frozen, keyword-only attrs classes that validate themselves.

Validation happens once per object:

* objects built by the converter (``noether.structure``, ``load_config``) had every field checked while their
  data was structured, so that all problems of a document are reported together at their own paths; their
  ``__attrs_post_init__`` runs only the cross-field rules (``_check``). The converter marks this with
  :func:`trusted_construction`, as attrs' validator switch does;
* objects built directly in Python (and ``attrs.evolve``) are checked here against the same type rules and
  constraints (:func:`noether.core.schemas._types.value_issues`), then the cross-field rules. A missing or
  unknown keyword is a :class:`ConfigError` too, not a ``TypeError``.
"""

from __future__ import annotations

import contextvars
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import attrs

from noether.core.errors import ConfigError, Issue, PathPart
from noether.core.schemas._types import OpenUnion, value_issues, with_canonical_nan

__all__ = ["OpenUnion", "Schema", "both_or_neither", "exactly_one", "trusted_construction"]

_TRUSTED: contextvars.ContextVar[bool] = contextvars.ContextVar("noether_trusted_construction", default=False)


@contextmanager
def trusted_construction() -> Iterator[None]:
    """Within this block, config objects skip the field checks (the caller has checked every field)."""
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


_FIELD_TYPES: dict[type, tuple[tuple[str, Any], ...]] = {}
_KEYWORDS: dict[type, tuple[frozenset[str], frozenset[str]]] = {}


def _field_types(cls: type) -> tuple[tuple[str, Any], ...]:
    found = _FIELD_TYPES.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls, include_extras=True)
        found = tuple((f.name, hints.get(f.name, Any)) for f in attrs.fields(cls))
        _FIELD_TYPES[cls] = found
    return found


def _keywords(cls: type) -> tuple[frozenset[str], frozenset[str]]:
    """(every init keyword, the required ones) of an attrs class."""
    found = _KEYWORDS.get(cls)
    if found is None:
        init = [f for f in attrs.fields(cls) if f.init]
        found = (frozenset(f.alias or f.name for f in init),
                 frozenset(f.alias or f.name for f in init if f.default is attrs.NOTHING))
        _KEYWORDS[cls] = found
    return found


class _SchemaMeta(type):
    """Turns a wrong call of a config class (missing, unknown or positional arguments) into a ConfigError."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if not _TRUSTED.get() and attrs.has(cls):
            issues: list[Issue] = []
            if args:
                issues.append(Issue((), f"config classes take keyword arguments only, got {len(args)} "
                                        f"positional argument{'s' if len(args) != 1 else ''}"))
            known, required = _keywords(cls)
            for key in kwargs:
                if key not in known:
                    import difflib  # only when a suggestion is made: slow to import
                    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                    issues.append(Issue((key,), f"unknown key '{key}'{hint}"))
            issues.extend(Issue((name,), "required field is missing") for name in sorted(required - set(kwargs)))
            if issues:  # the object cannot be built: check the values that were given, to report them all
                types = dict(_field_types(cls))
                for key, value in kwargs.items():
                    if key in types:
                        issues.extend(value_issues(types[key], value, (key,)))
                raise ConfigError(issues, f"invalid {cls.__name__}")
        return super().__call__(*args, **kwargs)


def _field_issues(obj: Schema) -> Iterator[Issue]:
    for name, tp in _field_types(type(obj)):
        yield from value_issues(tp, getattr(obj, name), (name,))


@attrs.frozen(kw_only=True)
class Schema(metaclass=_SchemaMeta):
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
        trusted = _TRUSTED.get()
        issues = [] if trusted else list(_field_issues(self))
        if not trusted and not issues:
            for name, _ in _field_types(type(self)):
                value = getattr(self, name)
                canonical = with_canonical_nan(value)
                if canonical is not value:  # frozen: set once, before anyone sees the object
                    object.__setattr__(self, name, canonical)
        if not issues:
            issues.extend(Issue(_check_path(name), message) for name, message in self._check())
        if issues:
            raise ConfigError(issues, f"invalid {type(self).__name__}")

    def _check(self) -> Iterator[tuple[str | tuple[PathPart, ...], str]]:
        """Cross-field rules; yields ``(field_name, message)`` for each violation (or a path below this class
        as a tuple, for a rule between sections: ``("trainer", "callbacks", 0, "dataset_key")``)."""
        return iter(())


def _check_path(name: str | tuple[PathPart, ...]) -> tuple[PathPart, ...]:
    if isinstance(name, tuple):
        return name
    return (name,) if name else ()


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
