"""Reading YAML with ruamel.yaml while remembering where every value came from.

Only plain YAML is accepted: explicit tags (``!!python/object``, ``!custom``) are rejected, so a config can never
construct objects or run code.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import attrs
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError

from noether.core.errors import ConfigError, Issue, PathPart

Path_ = tuple[PathPart, ...]

_STANDARD_TAGS = {
    "tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "map", "seq", "omap")
}


@attrs.define
class Document:
    """Plain data (dicts, lists, scalars) plus the origin of each value, keyed by path."""

    data: Any
    locations: dict[Path_, str] = attrs.field(factory=dict)

    def location_of(self, path: Path_) -> str | None:
        """Origin of the value at ``path``, or of its nearest ancestor that has one."""
        for cut in range(len(path), -1, -1):
            found = self.locations.get(tuple(path[:cut]))
            if found:
                return found
        return None


def _explicit_tag(node: Any) -> str | None:
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", None) if tag is not None else None
    return value if isinstance(value, str) else None


def _convert(node: Any, path: Path_, where: str, pos: tuple[int, int] | None, out: dict[Path_, str]) -> Any:
    if pos is not None:
        out[path] = f"{where}:{pos[0] + 1}:{pos[1] + 1}"
    tag = _explicit_tag(node)
    if isinstance(node, TaggedScalar) or (tag is not None and tag not in _STANDARD_TAGS):
        shown = tag or getattr(getattr(node, "tag", None), "value", "?")
        raise ConfigError(
            [Issue(path, f"YAML tag {shown!r} is not allowed: configs are plain data", out.get(path))],
            "unsafe YAML",
        )
    if isinstance(node, CommentedMap):
        result: dict[Any, Any] = {}
        for key, value in node.items():
            try:
                vpos = node.lc.value(key)
            except (KeyError, TypeError):
                vpos = None
            result[key] = _convert(value, (*path, key), where, vpos, out)
        return result
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            try:
                ipos = node.lc.item(index)
            except (KeyError, TypeError, IndexError):
                ipos = None
            items.append(_convert(value, (*path, index), where, ipos, out))
        return items
    # ruamel's round-trip scalars (ScalarFloat, ScalarInt, ...) become plain Python values.
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def parse_yaml(text: str, where: str) -> Document:
    """Parse YAML text; ``where`` names its origin in locations (a file path or an override)."""
    yaml = YAML(typ="rt")
    try:
        raw = yaml.load(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        loc = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark is not None else where
        raise ConfigError([Issue((), f"YAML syntax error: {exc.problem}", loc)], "unreadable config") from None
    except Exception as exc:
        raise ConfigError([Issue((), f"YAML error: {exc}", where)], "unreadable config") from None
    locations: dict[Path_, str] = {(): f"{where}:1:1"}
    data = _convert(raw, (), where, None, locations)
    return Document(data, locations)


def read_yaml(path: Path) -> Document:
    """Read one YAML file (no composition)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [Issue((), f"cannot read config file: {exc.strerror}", str(path))], "unreadable config"
        ) from None
    return parse_yaml(text, _display(path))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
