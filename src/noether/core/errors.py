"""User-facing configuration errors: every problem of a config, each with its path and origin."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import attrs

PathPart = str | int


def format_path(path: Sequence[PathPart]) -> str:
    """Render a path tuple as ``trainer.callbacks[2].every_n_epochs``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "<root>"


@attrs.frozen
class Issue:
    """One problem in a config.

    ``path`` is a tuple of keys and indices from the config root; ``message`` says what is wrong, what was
    expected and the offending value; ``location`` says where the value came from (``file.yaml:LINE:COL`` or a
    command-line override) when known.
    """

    path: tuple[PathPart, ...]
    message: str
    location: str | None = None

    @property
    def dotted_path(self) -> str:
        """The path as a dotted string (``trainer.callbacks[2].every_n_epochs``)."""
        return format_path(self.path)

    def prefixed(self, prefix: Sequence[PathPart]) -> Issue:
        """The same issue, one level deeper in the tree."""
        return attrs.evolve(self, path=(*prefix, *self.path))

    def __str__(self) -> str:
        where = f"  ({self.location})" if self.location else ""
        return f"{self.dotted_path}: {self.message}{where}"


class ConfigError(ValueError):
    """Raised for every user error in a config; ``issues`` lists all problems found, not only the first."""

    def __init__(self, issues: Iterable[Issue], header: str = "invalid configuration") -> None:
        self.issues: list[Issue] = list(issues)
        self.header = header
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.issues)
        lines = [f"{self.header}: {n} problem{'s' if n != 1 else ''}"]
        lines.extend(f"  - {issue}" for issue in self.issues)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()

    def prefixed(self, prefix: Sequence[PathPart]) -> ConfigError:
        """The same error with every issue moved under ``prefix``."""
        return ConfigError([i.prefixed(prefix) for i in self.issues], self.header)


def describe_value(value: object, limit: int = 60) -> str:
    """A short repr of an offending value for error messages."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of {value.bit_length()} bits"  # repr of a huge int may exceed Python's digit limit
    try:
        text = repr(value)
    except Exception:  # an object whose repr fails must not hide the real problem
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def with_guesses(names: Iterable[str], known: Sequence[str]) -> str:
    """``'a' (did you mean 'b'?), 'c'``: each name quoted, with the closest of ``known`` where one is close."""
    parts = []
    for name in names:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        parts.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    return ", ".join(parts)
