"""``${a.b.c}`` references between config values, resolved after composition and overrides.

Rules (documented in ``docs/interpolation-and-sweeps.md``):

* a value that is exactly ``${path}`` becomes a copy of the value at ``path``, of any type, a whole section
  included; every value it brings keeps the location of the text that wrote it, followed by
  ``(through ${path} at <where the reference is>)``;
* ``${path}`` inside a longer string is replaced by the text of a single value (numbers as written, ``true``,
  ``false``, ``null``); ``\\${`` writes a literal ``${``;
* ``path`` is absolute from the config root (``model.optimizer_config.lr``, ``trainer.callbacks[0].id``) or, with
  leading dots, relative to the mapping holding the reference (``${.lr}`` a sibling, ``${..name}`` an uncle);
* a missing target or a cycle is a :class:`ConfigError` naming both ends, with a did-you-mean for a missing key.

Resolvers (``${oc.env:HOME}``) are not supported: a config means the same on every machine.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from noether.core.config.compose import parse_override_path
from noether.core.config.yaml_source import Document, Path_
from noether.core.errors import ConfigError, Issue, format_path

#: Most values that whole-value references may copy in one config.
MAX_COPIED_VALUES = 100_000

#: ``${...}`` with an optional escaping backslash in front.
_REFERENCE = re.compile(r"(\\)?\$\{([^${}]*)\}")


class _Literal(str):
    """A string already resolved (it may hold an escaped ``${``): never looked at again."""

    __slots__ = ()


class _Unresolvable(Exception):
    def __init__(self, issue: Issue, silent: bool = False) -> None:
        super().__init__(issue.message)
        self.issue = issue
        self.silent = silent  # already reported (the same cycle met again)


def has_reference(value: object) -> bool:
    """Whether ``value`` is a string that holds a ``${...}``."""
    return isinstance(value, str) and not isinstance(value, _Literal) and "${" in value


class _Resolver:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.active: list[tuple[Path_, str]] = []  # references being resolved: (path, text of the reference)
        self.copied = 0
        self.done: set[Path_] = set()  # sections known to hold no reference any more
        self.cycles: set[frozenset[Path_]] = set()
        self.referenced_roots: set[str] = set()

    def where(self, path: Path_) -> str:
        return self.doc.location_of(path) or "?"

    # --- walking ---------------------------------------------------------------------------------------------
    def resolve_tree(self, path: Path_) -> None:
        """Resolve every reference at or below ``path`` in place."""
        if path in self.done:
            return
        value = self.get(path)
        if has_reference(value):
            self.resolve_at(path)
        elif isinstance(value, dict):
            for key in list(value):
                self.resolve_tree((*path, key))
        elif isinstance(value, list):
            for index in range(len(value)):
                self.resolve_tree((*path, index))
        if isinstance(value, (dict, list)):
            self.done.add(path)  # fully resolved: a later reference to it needs no second walk

    def get(self, path: Path_) -> Any:
        node = self.doc.data
        for part in path:
            node = node[part]
        return node

    def put(self, path: Path_, value: Any) -> None:
        if not path:
            self.doc.data = value
            return
        self.get(path[:-1])[path[-1]] = value

    def resolve_at(self, path: Path_) -> Any:
        """Resolve the string at ``path`` (which holds a reference); returns the new value."""
        text: str = self.get(path)
        for active_path, _ in self.active:
            if active_path == path:
                start = next(i for i, (p, _) in enumerate(self.active) if p == path)
                members = frozenset(p for p, _ in self.active[start:])
                chain = [f"{format_path(p)} = {r} ({self.where(p)})" for p, r in self.active[start:]]
                issue = Issue(path, "circular interpolation: " + " -> ".join(chain) + f" -> {format_path(path)}",
                              self.where(path))
                seen = members in self.cycles
                self.cycles.add(members)
                raise _Unresolvable(issue, silent=seen)  # one report per cycle, from whichever end it is met
        self.active.append((path, text))
        try:
            whole = _REFERENCE.fullmatch(text)
            if whole and not whole.group(1):
                target = self.target_path(whole.group(2), path)
                value = self.lookup(target, path, whole.group(0))
                self.count_copy(value, path)
                self.put(path, copy.deepcopy(value))
                self.relocate(target, path, whole.group(0))
                if isinstance(value, (dict, list)):
                    self.done.add(path)  # a copy of a resolved value
                return self.get(path)
            resolved = _Literal(_REFERENCE.sub(lambda m: self.substitute(m, path), text))
            self.put(path, resolved)
            return resolved
        finally:
            self.active.pop()

    def substitute(self, match: re.Match[str], path: Path_) -> str:
        if match.group(1):
            return match.group(0)[1:]
        target = self.target_path(match.group(2), path)
        value = self.lookup(target, path, match.group(0))
        if isinstance(value, (dict, list)):
            kind = "a mapping" if isinstance(value, dict) else "a list"
            raise _Unresolvable(Issue(path, f"{match.group(0)} is inside a string, so it must name a single "
                                      f"value, but {format_path(target)} is {kind} ({self.where(target)})",
                                      self.where(path)))
        if value is None or isinstance(value, bool):
            return {None: "null", True: "true", False: "false"}[value]
        return str(value)

    # --- targets ---------------------------------------------------------------------------------------------
    def target_path(self, reference: str, path: Path_) -> Path_:
        text = reference.strip()
        if ":" in text:
            raise _Unresolvable(Issue(path, f"${{{reference}}}: resolvers such as ${{oc.env:NAME}} are not "
                                      "supported; write the value, or pass it as an override", self.where(path)))
        dots = len(text) - len(text.lstrip("."))
        try:
            parts = parse_override_path(text[dots:]) if text[dots:] else ()
        except ValueError as exc:
            raise _Unresolvable(Issue(path, f"${{{reference}}}: {exc}", self.where(path))) from None
        if dots:
            base = path[:-1]
            if dots - 1 > len(base):
                raise _Unresolvable(Issue(path, f"${{{reference}}} goes above the config root", self.where(path)))
            base = base[: len(base) - (dots - 1)]
            return (*base, *parts)
        if not parts:
            raise _Unresolvable(Issue(path, "empty reference ${}", self.where(path)))
        return parts

    def lookup(self, target: Path_, path: Path_, reference: str) -> Any:
        """The fully resolved value at ``target`` (resolving what it passes through on the way)."""
        if target and isinstance(target[0], str) and len(path) > 0:
            self.referenced_roots.add(target[0])
        node: Any = self.doc.data
        for depth, part in enumerate(target):
            here = target[:depth]
            if has_reference(node):
                node = self.resolve_at(here)
            if isinstance(part, int):
                if not isinstance(node, list) or not -len(node) <= part < len(node):
                    size = f"a list of {len(node)} items" if isinstance(node, list) else "not a list"
                    raise self.missing(reference, path, target, here, f"[{part}] is out of range: "
                                       f"{format_path(here)} is {size}")
            elif not isinstance(node, dict) or part not in node:
                options = [str(k) for k in node] if isinstance(node, dict) else []
                import difflib  # only when a suggestion is made: slow to import
                close = difflib.get_close_matches(str(part), options, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                owner = format_path(here) if here else "the config root"
                reason = f"{owner} has no key '{part}'{hint}" if isinstance(node, dict) else \
                    f"{owner} is not a mapping"
                raise self.missing(reference, path, target, here, reason)
            node = node[part]
        self.resolve_tree(target)
        return self.get(target)

    def missing(self, reference: str, path: Path_, target: Path_, found: Path_, reason: str) -> _Unresolvable:
        where_found = f" ({self.where(found)})" if found else ""
        return _Unresolvable(Issue(path, f"{reference} cannot be resolved: {reason}{where_found}", self.where(path)))

    def relocate(self, target: Path_, path: Path_, reference: str) -> None:
        """Values copied from ``target`` to ``path`` keep their origin, and say through which reference.

        Costs the size of the copied value (the string that stood at ``path`` had no locations below it).
        """
        locations = self.doc.locations
        via = f" (through {reference} at {self.where(path)})"
        locations[path] = self.where(target) + via
        for sub in _sub_paths(self.get(path)):
            found = locations.get((*target, *sub))
            if found:
                locations[(*path, *sub)] = found + via
            else:
                locations.pop((*path, *sub), None)

    def cycles_members(self) -> set[Path_]:
        """Every path that is part of a reported cycle."""
        return {path for cycle in self.cycles for path in cycle}

    def count_copy(self, value: Any, path: Path_) -> None:
        """Bound what references may copy (a chain of references to sections doubles the data at each step)."""
        self.copied += 1 + sum(1 for _ in _sub_paths(value))
        if self.copied > MAX_COPIED_VALUES:
            raise _Unresolvable(Issue(path, f"references copy more than {MAX_COPIED_VALUES} values; reference "
                                      "smaller sections", self.where(path)))


def _sub_paths(value: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """The relative path of every value below ``value`` (depth first)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _sub_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from _sub_paths(item, (*prefix, index))


def _unliteral(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unliteral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unliteral(v) for v in value]
    if isinstance(value, _Literal):
        return str(value)
    return value


def resolve_collecting(doc: Document) -> tuple[set[str], list[Issue]]:
    """Resolve every ``${...}`` of ``doc`` in place; returns the top-level keys references pointed into, and an
    issue per reference that cannot be resolved (such a reference stays as its text)."""
    resolver = _Resolver(doc)
    issues: list[Issue] = []
    if isinstance(doc.data, dict):
        roots: list[Path_] = [(key,) for key in doc.data]
    else:
        roots = [()]
    for root in roots:
        try:
            resolver.resolve_tree(root)
        except _Unresolvable as exc:
            if not exc.silent:
                issues.append(exc.issue)
            resolver.active.clear()
            _resolve_rest(resolver, root, issues)
    reported = {issue.path for issue in issues} | resolver.cycles_members()
    for path, text in _unresolved(doc.data):
        if path not in reported:
            issues.append(Issue(path, f"{text} cannot be resolved: it refers to a value that cannot be resolved "
                                "(reported above)", doc.location_of(path)))
    doc.data = _unliteral(doc.data)
    return resolver.referenced_roots, _unique(issues)


def resolve_interpolations(doc: Document) -> set[str]:
    """Resolve every ``${...}`` of ``doc`` in place; returns the top-level keys that references pointed into.

    Raises :class:`ConfigError` listing every reference that cannot be resolved.
    """
    referenced, issues = resolve_collecting(doc)
    if issues:
        raise ConfigError(issues, "invalid interpolation")
    return referenced


def _resolve_rest(resolver: _Resolver, path: Path_, issues: list[Issue]) -> None:
    """After a failure inside ``path``, still resolve (and report) its other references."""
    value = resolver.get(path)
    if has_reference(value):
        return  # the failing one itself; reported
    children = list(value) if isinstance(value, dict) else range(len(value)) if isinstance(value, list) else []
    for child in children:
        try:
            resolver.resolve_tree((*path, child))
        except _Unresolvable as exc:
            if not exc.silent:
                issues.append(exc.issue)
            resolver.active.clear()
            _resolve_rest(resolver, (*path, child), issues)


def _unresolved(value: Any, path: Path_ = ()) -> list[tuple[Path_, str]]:
    """Every reference string still in ``value`` (after a failed resolution)."""
    if has_reference(value):
        return [(path, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _unresolved(item, (*path, key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _unresolved(item, (*path, index))]
    return []


def _unique(issues: list[Issue]) -> list[Issue]:
    seen: set[tuple[Path_, str]] = set()
    out = []
    for issue in issues:
        if (issue.path, issue.message) not in seen:
            seen.add((issue.path, issue.message))
            out.append(issue)
    return out


def schema_keys(cls: Any) -> set[str]:
    """The top-level keys a schema class accepts (field names, their aliases, keys it ignores)."""
    import attrs

    if not attrs.has(cls):
        return set()
    keys = {f.name for f in attrs.fields(cls)} | {f.alias for f in attrs.fields(cls) if f.alias}
    keys |= set(getattr(cls, "__aliases__", {}))
    keys |= set(getattr(cls, "__ignored_keys__", frozenset()))
    return keys
