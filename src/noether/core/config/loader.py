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


def drop_variables(doc: Document, cls: Any = None) -> None:
    """Remove the top-level variables: keys that are no field of the root schema but a ``${...}`` target."""
    if not doc.referenced or not isinstance(doc.data, dict):
        return
    from noether.core.config.interpolation import schema_keys

    if cls is None:
        from noether.core.schemas import ConfigSchema

        cls = ConfigSchema
    fields = schema_keys(cls)
    if not fields:
        return
    for key in doc.referenced - fields:
        doc.data.pop(key, None)


def structure_document(doc: Document, cls: Any = None) -> Any:
    """Structure a loaded document (its variables dropped), raising a located :class:`ConfigError` on problems.

    Problems deferred by loading (unresolvable references) are reported first; validation problems at or below
    such a reference are left out (they would only repeat that the ``${...}`` text is no valid value).
    """
    drop_variables(doc, cls)
    try:
        config = structure(doc.data, cls)
    except ConfigError as exc:
        if not doc.deferred:
            raise locate(exc, doc) from None
        others = [issue for issue in locate(exc, doc).issues
                  if not any(tuple(issue.path[: len(d.path)]) == tuple(d.path) for d in doc.deferred)]
        raise ConfigError([*doc.deferred, *others], exc.header) from None
    if doc.deferred:
        raise ConfigError(doc.deferred, "invalid interpolation")
    return config


def load_config(path: str | Path, overrides: Sequence[str] = (), cls: Any = None) -> Any:
    """Load a YAML config (with its ``base``/``defaults`` files, dotted ``overrides`` and ``${...}`` resolved).

    Raises :class:`noether.ConfigError` listing every problem, each with its path and ``file:line:col``.
    """
    return structure_document(load_document(path, overrides, defer_errors=True), cls)
