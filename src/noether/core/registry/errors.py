"""Errors of kind resolution: unknown kinds, clashes and broken plugins."""

from __future__ import annotations

from collections.abc import Sequence


class RegistryError(LookupError):
    """Base of registry errors; the message is meant for the user as it is."""


class UnknownKindError(RegistryError):
    """A kind that no plugin registers and that cannot be imported."""

    def __init__(self, family: str, kind: str, message: str, suggestions: Sequence[str] = ()) -> None:
        self.family = family
        self.kind = kind
        self.suggestions = list(suggestions)
        super().__init__(message)


class KindClashError(RegistryError):
    """Two plugins register the same kind."""


class PluginLoadError(RegistryError):
    """A plugin needed by a config could not be imported."""
