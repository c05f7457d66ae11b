"""Errors raised while structuring, and their flattening into located :class:`Issue` objects.

cattrs reports problems as nested exception groups; the converter adds its own errors that already know their
path. :func:`errors_to_issues` turns either into the flat list of issues a :class:`ConfigError` holds.
"""

from __future__ import annotations

from collections.abc import Iterator

from cattrs.errors import ClassValidationError, IterableValidationError

from noether.core.errors import ConfigError, Issue, PathPart


class LocatedError(ValueError):
    """An error that already knows its path relative to the value being structured."""

    def __init__(self, path: tuple[PathPart, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


class NestedError(ValueError):
    """The errors of one item of a container, under the item's key or index."""

    def __init__(self, key: PathPart, error: BaseException) -> None:
        super().__init__(str(error))
        self.key = key
        self.error = error


class ProblemGroup(ValueError):
    """Several errors of one value, each already carrying its path."""

    def __init__(self, errors: list[BaseException]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def first_message(exc: BaseException) -> str:
    """The message of the first issue inside ``exc``."""
    issues = list(_walk(exc, ()))
    return issues[0].message if issues else str(exc)


def _walk(exc: BaseException, path: tuple[PathPart, ...]) -> Iterator[Issue]:
    """Flatten cattrs' exception groups (and this module's errors) into issues with full paths."""
    if isinstance(exc, ConfigError):
        yield from (issue.prefixed(path) for issue in exc.issues)
    elif isinstance(exc, ClassValidationError | IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            key: PathPart = note.name if hasattr(note, "name") else note.index
            yield from _walk(sub, (*path, key))
        for plain in without:
            yield from _walk(plain, path)
    elif isinstance(exc, LocatedError):
        yield Issue((*path, *exc.path), exc.message)
    elif isinstance(exc, NestedError):
        yield from _walk(exc.error, (*path, exc.key))
    elif isinstance(exc, ProblemGroup):
        for member in exc.errors:
            yield from _walk(member, path)
    elif isinstance(exc, BaseExceptionGroup):
        for member in exc.exceptions:
            yield from _walk(member, path)
    elif isinstance(exc, RecursionError):
        yield Issue(path, "is nested too deeply to validate")
    elif isinstance(exc, KeyError) and path:
        yield Issue(path, "required field is missing")
    elif isinstance(exc, TypeError | ValueError) and str(exc):
        yield Issue(path, str(exc))
    else:  # not a message written for users (a bug or a failing user hook): say so plainly
        yield Issue(path, f"could not be validated ({type(exc).__name__}: {exc})")


def errors_to_issues(exc: BaseException) -> list[Issue]:
    """All issues contained in a structuring exception."""
    return list(_walk(exc, ()))
