"""``load_config``: YAML file + overrides -> validated :class:`ConfigSchema`, errors located."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from noether.core.config.compose import load_document
from noether.core.config.converter import structure
from noether.core.config.yaml_source import Document
from noether.core.errors import ConfigError


def locate(error: ConfigError, doc: Document) -> ConfigError:
    """Attach the origin (file:line:col or override) to every issue of ``error``."""
    issues = [
        issue if issue.location else attrs.evolve(issue, location=doc.location_of(issue.path))
        for issue in error.issues
    ]
    return ConfigError(issues, error.header)


def structure_document(doc: Document, cls: Any = None) -> Any:
    """Structure a loaded document, raising a located :class:`ConfigError` on problems."""
    try:
        return structure(doc.data, cls)
    except ConfigError as exc:
        raise locate(exc, doc) from None


def load_config(path: str | Path, overrides: Sequence[str] = (), cls: Any = None) -> Any:
    """Load a YAML config (with its ``base`` files and dotted ``overrides``) into a ``ConfigSchema``.

    Raises :class:`noether.ConfigError` listing every problem, each with its path and ``file:line:col``.
    """
    return structure_document(load_document(path, overrides), cls)
