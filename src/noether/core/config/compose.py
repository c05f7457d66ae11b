"""Composition of config files and dotted command-line overrides.

Rule: a file may name other files under the top-level key ``base`` (one path or a list, relative to the file).
They are loaded in order and deep-merged (mappings merge key by key; any other value, lists included, is
replaced by the later one); the file's own content is merged last. A file may also hold upstream's
``defaults:`` list of config groups (:mod:`noether.core.config.groups`). Overrides are applied after
composition, then ``${...}`` references are resolved (:mod:`noether.core.config.interpolation`).
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from noether.core.config.groups import DEFAULTS_KEY, GroupChoices, compose_defaults, group_candidates
from noether.core.config.source_file import display_path
from noether.core.config.yaml_source import Document, Path_, parse_yaml, read_yaml
from noether.core.errors import ConfigError, Issue, describe_value, format_path

BASE_KEY = "base"
#: Deepest chain of files naming files (``base``/``defaults``) followed.
MAX_COMPOSITION_DEPTH = 32


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


def compose_file(path: Path, _chain: tuple[tuple[str, str | None], ...] = (),
                 referenced_at: str | None = None, choices: GroupChoices | None = None) -> Document:
    """Load ``path`` with its ``base`` files merged underneath it and its ``defaults`` groups composed.

    ``_chain`` holds, for every file on the way here, its real path and the location of the ``base:`` entry that
    named it; ``referenced_at`` is the location of the entry naming ``path`` (errors about the file point there);
    ``choices`` carries the group options chosen so far (see :mod:`noether.core.config.groups`).
    """
    path = path.expanduser()
    real = os.path.realpath(path)  # never raises, unlike Path.resolve on a symlink loop
    if any(real == seen for seen, _ in _chain):
        links = [f"{display_path(Path(seen))} (named at {at})" if at else display_path(Path(seen))
                 for seen, at in _chain]
        links.append(f"{display_path(Path(real))} (named again at {referenced_at})")
        raise ConfigError([Issue((), "circular chain of 'base'/'defaults' files: " + " -> ".join(links),
                                 referenced_at)], "invalid composition")
    if len(_chain) > MAX_COMPOSITION_DEPTH:
        raise ConfigError([Issue((BASE_KEY,), f"more than {MAX_COMPOSITION_DEPTH} nested 'base'/'defaults' files",
                                 referenced_at)], "invalid composition")
    doc = read_yaml(path, referenced_at)
    if doc.data is None:
        doc.data = {}
    if not isinstance(doc.data, dict):
        raise ConfigError(
            [Issue((), "a config file must contain a mapping at the top level", doc.location_of(()))],
            "invalid config",
        )
    bases = doc.data.pop(BASE_KEY, None)
    chain = (*_chain, (real, referenced_at))
    if DEFAULTS_KEY in doc.data:
        defaults = doc.data.pop(DEFAULTS_KEY)
        choices = choices or GroupChoices(path.parent)
        try:
            own_group = os.path.relpath(path.parent, choices.config_dir).replace(os.sep, "/")
        except ValueError:
            own_group = ""
        own_group = "" if own_group == "." or own_group.startswith("..") else own_group
        group_choices = choices

        def compose_member(member: Path, member_chain: Any, at: str | None) -> Document:
            return compose_file(member, member_chain, at, group_choices)

        doc = compose_defaults(doc, defaults, path, own_group, choices, compose_member, merge_into,
                               is_primary=not _chain, chain=chain)
        _drop_under(doc.locations, (DEFAULTS_KEY,))
        doc.locations.pop((DEFAULTS_KEY,), None)
    if bases is None:
        return doc
    base_list = [bases] if isinstance(bases, str) else bases
    if not isinstance(base_list, list) or not all(isinstance(b, str) and b.strip() for b in base_list):
        raise ConfigError(
            [Issue((BASE_KEY,), "expected a file path or a list of file paths", doc.location_of((BASE_KEY,)))],
            "invalid composition",
        )
    merged = Document({}, {(): doc.locations[()]})
    for index, base in enumerate(base_list):
        where = doc.locations.get((BASE_KEY, index) if isinstance(bases, list) else (BASE_KEY,))
        where = where or doc.location_of((BASE_KEY,))
        if "\0" in base:
            raise ConfigError([Issue((BASE_KEY,), "a base file name cannot contain a NUL character", where)],
                              "invalid composition")
        base_path = Path(base).expanduser()
        if not base_path.is_absolute():
            base_path = path.parent / base_path
        merge_into(merged, compose_file(base_path, chain, where, choices))
    _drop_under(doc.locations, (BASE_KEY,))
    doc.locations.pop((BASE_KEY,), None)
    merge_into(merged, doc)
    return merged


#: One key segment of an override path: a name (no dots, brackets, '=' or blanks) and optional ``[index]`` parts.
_SEGMENT = re.compile(r"(?P<name>[^.\[\]=\s~]+)(?P<indices>(?:\[-?[0-9]+\])*)")


def parse_override_path(text: str) -> Path_:
    """``trainer.callbacks[0].every_n_epochs`` -> ``("trainer", "callbacks", 0, "every_n_epochs")``.

    Raises ``ValueError`` with a plain message for an empty key, an empty segment (``a..b``, ``a.``, ``.a``),
    a bad index (``a[x]``, ``a[]``, ``a[0``) or a character that cannot be part of a key.
    """
    if not text:
        raise ValueError("the key is empty")
    parts: list[str | int] = []
    for number, chunk in enumerate(text.split(".")):
        if not chunk:
            where = "at the start" if number == 0 else "at the end" if number == text.count(".") else "('..')"
            raise ValueError(f"empty key segment {where}; write key.sub.key")
        match = _SEGMENT.fullmatch(chunk)
        if match is None:
            if "[" in chunk or "]" in chunk:
                raise ValueError(f"bad index in {chunk!r}; write key[0] (an integer in brackets)")
            raise ValueError(f"{chunk!r} is not a valid key segment (no blanks, '=', '~' or brackets)")
        parts.append(match["name"])
        parts.extend(int(index) for index in re.findall(r"-?[0-9]+", match["indices"]))
    return tuple(parts)


def override_location(text: str) -> str:
    """How a command-line override is named in error locations."""
    return f"override '{text}' (command line)"


def apply_overrides(doc: Document, overrides: Sequence[str]) -> None:
    """Apply ``key.path=value`` (value parsed as YAML), ``+key.path=value`` and ``~key.path`` (delete) in order.

    Every malformed override is reported (quoted) together; nothing is applied half-way for a malformed one.
    """
    issues: list[Issue] = []
    for text in overrides:
        where = override_location(text)
        delete = text.startswith("~")
        body = text[1:] if delete or text.startswith("+") else text
        key_text, sep, value_text = body.partition("=")
        if delete and sep:
            issues.append(Issue((), "a delete override '~key.path' takes no value; drop '=" + value_text + "'",
                                where))
            continue
        if not delete and not sep:
            issues.append(Issue((), "an override must look like key.path=value (or ~key.path to delete)", where))
            continue
        try:
            path = parse_override_path(key_text.strip())
        except ValueError as exc:
            issues.append(Issue((), f"malformed key {key_text.strip()!r}: {exc}", where))
            continue
        value: Any = None
        if not delete:
            try:
                parsed = parse_yaml(value_text, where) if value_text.strip() else Document("")
            except ConfigError as exc:
                issues.extend(attrs.evolve(issue, path=path, location=issue.location or where)
                              for issue in exc.issues)
                continue
            value = parsed.data
        try:
            _set(doc, path, value, delete, where)
        except (KeyError, IndexError, TypeError) as exc:
            issues.append(Issue(path, str(exc.args[0]) if exc.args else str(exc), where))
    if issues:
        raise ConfigError(issues, "invalid override")


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return f"the value {describe_value(value)}"


def _set(doc: Document, path: Path_, value: Any, delete: bool, where: str) -> None:
    node = doc.data
    for depth, part in enumerate(path[:-1]):
        here = format_path(path[:depth]) if depth else "the config root"
        nxt = path[depth + 1]
        if isinstance(part, int):
            if not isinstance(node, list):
                raise TypeError(f"cannot index [{part}]: {here} is {_kind_of(node)}, not a list")
            if not -len(node) <= part < len(node):
                raise IndexError(f"index {part} is out of range: {here} has {len(node)} items")
            node = node[part]
        else:
            if not isinstance(node, dict):
                raise TypeError(f"cannot set '{part}': {here} is {_kind_of(node)}, not a mapping")
            if node.get(part) is None:
                node[part] = [] if isinstance(nxt, int) else {}
            node = node[part]
    last = path[-1]
    here = format_path(path[:-1]) if len(path) > 1 else "the config root"
    if isinstance(last, int):
        if not isinstance(node, list):
            raise TypeError(f"cannot index [{last}]: {here} is {_kind_of(node)}, not a list")
        limit = len(node) - 1 if delete else len(node)  # setting [len] appends
        if not -len(node) <= last <= limit:
            raise IndexError(f"index {last} is out of range: {here} has {len(node)} items")
        _drop_under(doc.locations, path)
        if delete:
            del node[last]
        elif last == len(node):
            node.append(copy.deepcopy(value))
        else:
            node[last] = value
    else:
        if not isinstance(node, dict):
            raise TypeError(f"cannot set '{last}': {here} is {_kind_of(node)}, not a mapping")
        if delete and last not in node:
            raise KeyError(f"cannot delete '{last}': no such key")
        _drop_under(doc.locations, path)
        if delete:
            del node[last]
        else:
            node[last] = value
    if delete:
        doc.locations.pop(path, None)
    else:
        doc.locations[path] = where


def load_document(path: str | Path, overrides: Sequence[str] = (), *, defer_errors: bool = False) -> Document:
    """Compose ``path`` with its bases, apply ``overrides``, resolve ``${...}``; the result remembers every origin.

    References that cannot be resolved raise a :class:`ConfigError`, or with ``defer_errors`` are kept in
    ``Document.deferred`` to be reported with the validation's problems (as :func:`load_config` does).
    """
    if isinstance(overrides, str):  # a string is a sequence too: each character would be an override
        raise TypeError(f"overrides must be a list of strings, e.g. ['trainer.max_epochs=2']; got the string "
                        f"{overrides!r}: wrap it in a list")
    primary = Path(path)
    choices = GroupChoices(primary.expanduser().parent, group_candidates(primary.expanduser().parent, overrides))
    for _ in range(5):  # 'override' entries read late (experiment files) change choices made earlier: recompose
        before = dict(choices.from_files)
        doc = compose_file(primary, choices=choices)
        if choices.from_files == before:
            break
    apply_overrides(doc, [text for text in overrides if text not in choices.used])
    issues: list[Issue] = []
    if _mentions_reference(doc.data):  # else there is nothing to resolve: the resolver is not even imported
        from noether.core.config.interpolation import resolve_collecting

        doc.referenced, issues = resolve_collecting(doc)
    if issues and not defer_errors:
        raise ConfigError(issues, "invalid interpolation")
    doc.deferred.extend(issues)
    return doc


def _mentions_reference(value: Any) -> bool:
    """Whether any string in ``value`` (keys included) contains ``${``, escaped or not."""
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, dict):
        return any(_mentions_reference(k) or _mentions_reference(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_mentions_reference(v) for v in value)
    return False
