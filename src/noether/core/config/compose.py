"""Composition of config files and dotted command-line overrides.

Rule: a file may name other files under the top-level key ``base`` (one path or a list, relative to the file).
They are loaded in order and deep-merged (mappings merge key by key; any other value, lists included, is
replaced by the later one); the file's own content is merged last. Overrides are applied after composition.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from noether.core.config.yaml_source import Document, Path_, parse_yaml, read_yaml
from noether.core.errors import ConfigError, Issue

BASE_KEY = "base"


def _drop_under(locations: dict[Path_, str], path: Path_) -> None:
    n = len(path)
    for key in [k for k in locations if len(k) > n and k[:n] == path]:
        del locations[key]


def merge_into(target: Document, source: Document, at: Path_ = ()) -> None:
    """Deep-merge ``source`` into ``target`` (in place), keeping the origin of every value."""

    def merge(dst: Any, src: Any, path: Path_) -> Any:
        if isinstance(dst, dict) and isinstance(src, dict):
            for key, value in src.items():
                sub = (*path, key)
                if key in dst:
                    dst[key] = merge(dst[key], value, sub)
                else:
                    _drop_under(target.locations, sub)
                    dst[key] = value
                    _copy_locations(source, target, sub)
            if path in source.locations:
                target.locations.setdefault(path, source.locations[path])
            return dst
        _drop_under(target.locations, path)
        _copy_locations(source, target, path)
        return src

    target.data = merge(target.data, source.data, at)


def _copy_locations(source: Document, target: Document, path: Path_) -> None:
    n = len(path)
    for key, loc in source.locations.items():
        if key[:n] == path:
            target.locations[key] = loc


def compose_file(path: Path, _stack: tuple[Path, ...] = ()) -> Document:
    """Load ``path`` with its ``base`` files merged underneath it."""
    path = path.expanduser()
    resolved = path.resolve()
    if resolved in _stack:
        chain = " -> ".join(str(p) for p in (*_stack, resolved))
        raise ConfigError([Issue((BASE_KEY,), f"circular 'base' chain: {chain}")], "invalid composition")
    doc = read_yaml(path)
    if doc.data is None:
        doc.data = {}
    if not isinstance(doc.data, dict):
        raise ConfigError(
            [Issue((), "a config file must contain a mapping at the top level", doc.location_of(()))],
            "invalid config",
        )
    bases = doc.data.pop(BASE_KEY, None)
    if bases is None:
        return doc
    base_list = [bases] if isinstance(bases, str) else bases
    if not isinstance(base_list, list) or not all(isinstance(b, str) for b in base_list):
        raise ConfigError(
            [Issue((BASE_KEY,), "expected a file path or a list of file paths", doc.location_of((BASE_KEY,)))],
            "invalid composition",
        )
    merged = Document({}, {(): doc.locations[()]})
    for index, base in enumerate(base_list):
        base_path = (path.parent / base) if not Path(base).is_absolute() else Path(base)
        if not base_path.exists():
            loc = doc.location_of((BASE_KEY, index)) or doc.location_of((BASE_KEY,))
            raise ConfigError([Issue((BASE_KEY,), f"base file not found: {base_path}", loc)], "invalid composition")
        merge_into(merged, compose_file(base_path, (*_stack, resolved)))
    merge_into(merged, doc)
    return merged


def parse_override_path(text: str) -> Path_:
    """``trainer.callbacks[0].every_n_epochs`` -> ``("trainer", "callbacks", 0, "every_n_epochs")``."""
    parts: list[str | int] = []
    for chunk in text.split("."):
        name, _, rest = chunk.partition("[")
        if not name and not parts:
            raise ValueError(f"empty key in {text!r}")
        if name:
            parts.append(name)
        while rest:
            index, sep, rest = rest.partition("]")
            if not sep or not index.lstrip("-").isdigit():
                raise ValueError(f"bad index in {text!r}; use key[0]")
            parts.append(int(index))
            rest = rest.removeprefix("[")
    return tuple(parts)


def apply_overrides(doc: Document, overrides: Sequence[str]) -> None:
    """Apply ``key.path=value`` (value parsed as YAML) and ``~key.path`` (delete) overrides in order."""
    issues: list[Issue] = []
    for text in overrides:
        where = f"override '{text}'"
        delete = text.startswith("~")
        key_text, sep, value_text = text.removeprefix("~").removeprefix("+").partition("=")
        if not delete and not sep:
            issues.append(Issue((), "an override must look like key.path=value (or ~key.path to delete)", where))
            continue
        try:
            path = parse_override_path(key_text.strip())
        except ValueError as exc:
            issues.append(Issue((), str(exc), where))
            continue
        value: Any = None
        if not delete:
            parsed = parse_yaml(value_text, where) if value_text.strip() else Document("")
            value = parsed.data
        try:
            _set(doc, path, value, delete, where)
        except (KeyError, IndexError, TypeError) as exc:
            issues.append(Issue(path, str(exc.args[0]) if exc.args else str(exc), where))
    if issues:
        raise ConfigError(issues, "invalid override")


def _set(doc: Document, path: Path_, value: Any, delete: bool, where: str) -> None:
    if not path:
        raise KeyError("an override needs a key")
    node = doc.data
    for depth, part in enumerate(path[:-1]):
        nxt = path[depth + 1]
        if isinstance(part, int):
            if not isinstance(node, list) or not -len(node) <= part < len(node):
                raise IndexError(f"index {part} is out of range at {path[: depth + 1]}")
            node = node[part]
        else:
            if not isinstance(node, dict):
                raise TypeError(f"cannot set '{part}': the parent is not a mapping")
            if node.get(part) is None:
                node[part] = [] if isinstance(nxt, int) else {}
            node = node[part]
    last = path[-1]
    _drop_under(doc.locations, path)
    if isinstance(last, int):
        if not isinstance(node, list) or not -len(node) <= last <= len(node):
            raise IndexError(f"index {last} is out of range (the list has {len(node)} items)")
        if delete:
            del node[last]
        elif last == len(node):
            node.append(copy.deepcopy(value))
        else:
            node[last] = value
    else:
        if not isinstance(node, dict):
            raise TypeError(f"cannot set '{last}': the parent is not a mapping")
        if delete:
            if last not in node:
                raise KeyError(f"cannot delete '{last}': no such key")
            del node[last]
        else:
            node[last] = value
    if not delete:
        doc.locations[path] = where


def load_document(path: str | Path, overrides: Sequence[str] = ()) -> Document:
    """Compose ``path`` with its bases and apply ``overrides``; the result remembers every origin."""
    doc = compose_file(Path(path))
    apply_overrides(doc, overrides)
    return doc
