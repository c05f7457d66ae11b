"""Reading YAML while remembering where every value came from.

Configs are plain data. The tag policy (documented in ``docs/configuration.md``):

* allowed explicit tags are the core-schema ones that name plain data: ``!!str``, ``!!int``, ``!!float``,
  ``!!bool``, ``!!null`` on scalars, ``!!seq`` on sequences, ``!!map`` on mappings (and the non-specific ``!``);
* every other tag is rejected with its location: ``!!set``, ``!!omap``, ``!!pairs``, ``!!binary``,
  ``!!timestamp``, ``!!python/...`` and any custom ``!tag``; so a config can never construct objects or run code;
* an unquoted date or time (``2024-05-01``) stays the string it is written as, never a ``datetime``;
* anchors, aliases and merge keys (``<<: *base``) work; their expansion is bounded.

The parser is ruamel.yaml's *event* parser (the C one when ``ruamel.yaml.clib`` is installed, else the pure-Python
one); the tree is built here from the events, not by ruamel's round-trip loader, whose comment bookkeeping made
parsing cost grow quadratically with file size. Building the tree ourselves is also what bounds alias expansion and
nesting depth before any memory is spent.
"""

from __future__ import annotations

import copy
import importlib.util
import io
import math
import re
from pathlib import Path
from typing import Any

from noether._records import Record
from noether.core.config.source_file import decode_config_text, display_path, read_config_bytes
from noether.core.errors import ConfigError, Issue, PathPart, describe_value

Path_ = tuple[PathPart, ...]

#: Deepest nesting of mappings and sequences accepted (real configs stay below 10).
MAX_DEPTH = 100
#: Most values that aliases may add by expansion (an "alias bomb" of a few hundred bytes asks for billions).
MAX_ALIAS_NODES = 10_000

_CORE = "tag:yaml.org,2002:"


def _evaluated(rule: Any) -> re.Pattern[str]:
    """A resolver pattern itself: ruamel wraps each in a ``LazyEval`` that compiles it on first attribute use."""
    evaluate = getattr(rule, "lazy_self", None)
    return evaluate() if callable(evaluate) else rule
_SCALAR_TAGS = {_CORE + name for name in ("str", "int", "float", "bool", "null")}
_NULL_TEXTS = {"", "~", "null", "Null", "NULL"}


class Document(Record):
    """Plain data (dicts, lists, scalars) plus the origin of each value, keyed by path.

    ``locations`` maps a path tuple to ``file:line:col`` (1-based) or to an override's description; an error at a
    path without an entry is located by its nearest ancestor that has one (:meth:`location_of`). ``referenced``
    holds the top-level keys that ``${...}`` references pointed into (filled by interpolation): those that are
    not schema fields are variables, dropped before structuring.

    A mutable record (:mod:`noether._records`) rather than an attrs class: every start creates this class.
    """

    __slots__ = __fields__ = __match_args__ = ("data", "locations", "referenced", "deferred")
    data: Any
    locations: dict[Path_, str]
    referenced: set[str]
    #: Problems found while loading that are reported together with the validation's (unresolvable references).
    deferred: list[Issue]

    def __init__(self, data: Any, locations: dict[Path_, str] | None = None, referenced: set[str] | None = None,
                 deferred: list[Issue] | None = None) -> None:
        self.data = data
        self.locations = {} if locations is None else locations
        self.referenced = set() if referenced is None else referenced
        self.deferred = [] if deferred is None else deferred

    def location_of(self, path: Path_) -> str | None:
        """Origin of the value at ``path``, or of its nearest ancestor that has one."""
        for cut in range(len(path), -1, -1):
            found = self.locations.get(tuple(path[:cut]))
            if found:
                return found
        return None


def _to_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError(text)
    return lowered == "true"


def _to_int(text: str) -> int:
    if len(text) > 100:
        raise ValueError("too many digits")
    digits = text.replace("_", "")
    sign = -1 if digits[:1] == "-" else 1
    digits = digits.lstrip("+-")
    base = {"0x": 16, "0o": 8, "0b": 2}.get(digits[:2].lower(), 10)
    return sign * int(digits[2:] if base != 10 else digits, base)


def _to_float(text: str) -> float:
    lowered = text.replace("_", "").lower()
    special = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
    return special[lowered] if lowered in special else float(lowered)


_CONSTRUCT = {_CORE + "bool": _to_bool, _CORE + "int": _to_int, _CORE + "float": _to_float}


class _Frame:
    """A mapping or sequence being built."""

    __slots__ = ("anchor", "data", "first_entry", "key", "key_is_merge", "key_location", "merges", "path",
                 "seen_keys")

    def __init__(self, data: dict[Any, Any] | list[Any], path: Path_, anchor: str | None, first_entry: int) -> None:
        self.data = data
        self.path = path
        self.anchor = anchor
        self.first_entry = first_entry
        self.key: Any = _NO_KEY
        self.key_location = ""
        self.key_is_merge = False
        self.merges: list[tuple[Any, int, int, str]] = []  # (value, first entry, end entry, location)
        self.seen_keys: dict[Any, str] = {}


_NO_KEY = object()


class _Anchor:
    __slots__ = ("count", "entries", "value")

    def __init__(self, value: Any, entries: list[tuple[Path_, str]], count: int) -> None:
        self.value = value
        self.entries = entries  # locations relative to the anchored node
        self.count = count


#: ruamel.yaml's C event parser (package ``ruamel.yaml.clib``, libyaml) is used when installed: about 15 times
#: faster than the pure-Python one, which is the fallback. Both feed the same builder (same tags, resolution).
C_PARSER = importlib.util.find_spec("_ruamel_yaml") is not None


class _Builder:
    """Builds plain data and locations from a ruamel.yaml event stream."""

    def __init__(self, where: str, pure: bool = not C_PARSER) -> None:
        from ruamel.yaml import YAML

        self.where = where
        self.yaml = YAML(typ="safe", pure=pure)
        self.entries: list[tuple[Path_, str] | None] = []
        self.anchors: dict[str, _Anchor] = {}
        self.stack: list[_Frame] = []
        self.expanded = 0
        self.root: Any = None
        self.documents = 0
        self.table: dict[Any, list[list[Any]]] | None = None

    # --- helpers -----------------------------------------------------------------------------------------------
    def loc(self, mark: Any) -> str:
        if mark is None:
            return self.where
        return f"{self.where}:{mark.line + 1}:{mark.column + 1}"

    def fail(self, path: Path_, message: str, location: str, header: str = "invalid YAML") -> ConfigError:
        return ConfigError([Issue(path, message, location)], header)

    def next_path(self) -> Path_:
        if not self.stack:
            return ()
        frame = self.stack[-1]
        if isinstance(frame.data, list):
            return (*frame.path, len(frame.data))
        if frame.key is _NO_KEY:
            return (*frame.path, "<key>")
        if frame.key_is_merge:
            return (*frame.path, "<<", len(frame.merges))
        return (*frame.path, frame.key)

    def check_tag(self, tag: str | None, kind: str, path: Path_, location: str) -> None:
        if tag is None or tag == "!":
            return
        allowed = {"scalar": _SCALAR_TAGS, "seq": {_CORE + "seq"}, "map": {_CORE + "map"}}[kind]
        if tag not in allowed:
            shown = "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag
            raise self.fail(path, f"YAML tag {shown!r} is not allowed here: configs are plain data (allowed: "
                            "!!str, !!int, !!float, !!bool, !!null on values, !!seq on lists, !!map on mappings)",
                            location, "unsafe YAML")

    # --- events ------------------------------------------------------------------------------------------------
    def run(self, text: str) -> Document:
        from ruamel.yaml import events

        for event in self.yaml.parse(io.StringIO(text)):
            if isinstance(event, events.ScalarEvent):
                self.scalar(event)
            elif isinstance(event, (events.MappingStartEvent, events.SequenceStartEvent)):
                self.start(event, isinstance(event, events.MappingStartEvent))
            elif isinstance(event, (events.MappingEndEvent, events.SequenceEndEvent)):
                self.end()
            elif isinstance(event, events.AliasEvent):
                self.alias(event)
            elif isinstance(event, events.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    raise self.fail((), "a config file holds one YAML document; found a second one ('---')",
                                    self.loc(event.start_mark))
        locations: dict[Path_, str] = {(): f"{self.where}:1:1"}
        for entry in self.entries:
            if entry is not None:
                locations[entry[0]] = entry[1]
        return Document(self.root, locations)

    def start(self, event: Any, is_map: bool) -> None:
        path = self.next_path()
        location = self.loc(event.start_mark)
        if len(self.stack) >= MAX_DEPTH:
            raise self.fail(path, f"the YAML is nested more than {MAX_DEPTH} levels deep", location)
        self.check_tag(event.tag, "map" if is_map else "seq", path, location)
        first = len(self.entries)
        self.entries.append((path, location))
        self.stack.append(_Frame({} if is_map else [], path, event.anchor, first))

    def end(self) -> None:
        frame = self.stack.pop()
        if isinstance(frame.data, dict) and frame.merges:
            self.apply_merges(frame)
        self.add(frame.data, frame.first_entry, frame.anchor)

    def scalar(self, event: Any) -> None:
        path = self.next_path()
        location = self.loc(event.start_mark)
        frame = self.stack[-1] if self.stack else None
        if event.value == "" and frame is not None and frame.key is not _NO_KEY and event.implicit[0]:
            # A value left empty (null): the parsers put it at the end of the line or at the next token;
            # the key's line is where a person wrote it.
            location = frame.key_location
        tag = event.tag
        self.check_tag(tag, "scalar", path, location)
        value = self.construct(event, path, location)
        if frame is not None and isinstance(frame.data, dict) and frame.key is _NO_KEY:
            if event.anchor is not None:
                self.anchors[event.anchor] = _Anchor(value, [((), location)], 1)
            plain = bool(event.implicit and event.implicit[0])  # unquoted and untagged
            self.take_key(frame, value, location, is_merge=value == "<<" and tag is None and plain)
            return
        first = len(self.entries)
        self.entries.append((path, location))
        self.add(value, first, event.anchor)

    def resolve_plain(self, text: str) -> str:
        """The tag of an untagged plain scalar: ruamel's resolver table, read once (its per-call path is slow)."""
        if self.table is None:
            versioned = self.yaml.resolver.versioned_resolver
            self.table = {first: [[str(tag), rx] for tag, rx in rules] for first, rules in versioned.items()}
        for rule in (*self.table.get(text[0] if text else "", ()), *self.table.get(None, ())):
            pattern = rule[1]
            if type(pattern) is not re.Pattern:  # compiled when a scalar first needs it: most configs need few
                pattern = rule[1] = _evaluated(pattern)
            if pattern.match(text):
                return str(rule[0])
        return _CORE + "str"

    def construct(self, event: Any, path: Path_, location: str) -> Any:
        text: str = event.value
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.resolve_plain(text) if event.implicit[0] else _CORE + "str"
        if tag == _CORE + "str" or tag not in _SCALAR_TAGS:
            return text  # includes implicit timestamps and '<<': they stay the text written
        if tag == _CORE + "null":
            if text not in _NULL_TEXTS:
                raise self.fail(path, f"!!null takes no value, got {describe_value(text)}", location)
            return None
        try:
            return _CONSTRUCT[tag](text)
        except ValueError:
            kind = tag[len(_CORE):]
            raise self.fail(path, f"{describe_value(text)} is not a valid {kind}"
                            + (" (more than 100 digits)" if kind == "int" and len(text) > 100 else ""),
                            location) from None

    def take_key(self, frame: _Frame, key: Any, location: str, is_merge: bool) -> None:
        if is_merge:
            frame.key, frame.key_is_merge, frame.key_location = "<<", True, location
            return
        if key is None:  # also what libyaml refuses to parse in some forms (": x"); one rule for both parsers
            raise self.fail((*frame.path, "<key>"), "a mapping key cannot be empty or null", location)
        if key in frame.seen_keys:
            raise self.fail((*frame.path, key), f"duplicate key {key!r} (first at {frame.seen_keys[key]})",
                            location)
        frame.seen_keys[key] = location
        frame.key, frame.key_is_merge, frame.key_location = key, False, location

    def add(self, value: Any, first_entry: int, anchor: str | None) -> None:
        """A finished value: remember it under its anchor and put it into its parent."""
        if anchor is not None:
            self.remember(anchor, value, first_entry)
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        if isinstance(frame.data, list):
            frame.data.append(value)
            return
        if frame.key is _NO_KEY:  # a mapping or sequence used as a key
            raise self.fail((*frame.path, "<key>"), "a mapping key must be a plain value, not a mapping or a list",
                            self.entries[first_entry][1] if self.entries[first_entry] else self.where)  # type: ignore[index]
        if frame.key_is_merge:
            frame.merges.append((value, first_entry, len(self.entries), frame.key_location))
        else:
            frame.data[frame.key] = value
        frame.key, frame.key_is_merge = _NO_KEY, False

    def remember(self, anchor: str, value: Any, first_entry: int) -> None:
        root_path = self.entries[first_entry][0]  # type: ignore[index]
        n = len(root_path)
        relative = [(e[0][n:], e[1]) for e in self.entries[first_entry:] if e is not None]
        self.anchors[anchor] = _Anchor(value, relative, len(relative))

    def alias(self, event: Any) -> None:
        path = self.next_path()
        location = self.loc(event.start_mark)
        anchor = self.anchors.get(event.anchor)
        if anchor is None:
            raise self.fail(path, f"unknown alias *{event.anchor}", location)
        self.expanded += anchor.count
        if self.expanded > MAX_ALIAS_NODES:
            raise self.fail(path, f"aliases expand to more than {MAX_ALIAS_NODES} values (an 'alias bomb'?); "
                            "write the data out or use fewer nested aliases", location)
        frame = self.stack[-1] if self.stack else None
        if frame is not None and isinstance(frame.data, dict) and frame.key is _NO_KEY:
            if isinstance(anchor.value, (dict, list)):
                raise self.fail(path, "a mapping key must be a plain value, not a mapping or a list", location)
            self.take_key(frame, anchor.value, location, is_merge=False)
            return
        first = len(self.entries)
        # The alias itself sits here; the values it brings keep the location of the text that wrote them.
        self.entries.append((path, location))
        self.entries.extend(((*path, *rel), loc) for rel, loc in anchor.entries if rel)
        self.add(copy.deepcopy(anchor.value), first, None)

    def apply_merges(self, frame: _Frame) -> None:
        """``<<: *a`` / ``<<: [*a, *b]``: keys not written in the mapping come from the merged ones, first wins."""
        assert isinstance(frame.data, dict)
        merged: dict[Any, Any] = {}
        moved: list[tuple[Path_, str]] = []
        for value, first, end, location in frame.merges:
            merge_root = self.entries[first][0]  # type: ignore[index]
            sources = [value] if isinstance(value, dict) else value
            if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
                raise self.fail((*frame.path, "<<"), "a merge key '<<' takes a mapping or a list of mappings",
                                location)
            for index, source in enumerate(sources):
                prefix = merge_root if isinstance(value, dict) else (*merge_root, index)
                for key, item in source.items():
                    if key in frame.data or key in merged:
                        continue
                    merged[key] = item
                    n = len(prefix)
                    moved.extend(((*frame.path, *e[0][n:]), e[1]) for e in self.entries[first:end]
                                 if e is not None and e[0][: n + 1] == (*prefix, key))
            for i in range(first, end):
                self.entries[i] = None
        self.entries.extend(moved)
        frame.data.update({k: v for k, v in merged.items() if k not in frame.data})


def parse_yaml(text: str, where: str, *, pure: bool = not C_PARSER) -> Document:
    """Parse YAML text; ``where`` names its origin in locations (a file path or an override).

    ``pure`` selects ruamel.yaml's pure-Python parser instead of the C one (the results are the same).
    """
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    builder = _Builder(where, pure)
    try:
        return builder.run(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = builder.loc(mark) if mark is not None else where
        problem = exc.problem or exc.context or "unreadable YAML"
        raise ConfigError([Issue((), f"YAML syntax error: {problem}", loc)], "unreadable config") from None
    except YAMLError as exc:  # reader errors (control characters, ...) carry a position in their text
        raise ConfigError([Issue((), f"YAML error: {_first_line(exc)}", where)], "unreadable config") from None
    except UnicodeError:  # lone surrogates (from undecodable command-line bytes) cannot be encoded for libyaml
        raise ConfigError([Issue((), "the text holds characters that are not valid Unicode (undecodable bytes?)",
                                 where)], "unreadable config") from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_yaml(path: Path, referenced_at: str | None = None) -> Document:
    """Read and parse one YAML file (no composition); ``referenced_at`` locates the ``base:`` entry naming it."""
    where = display_path(path)
    text = decode_config_text(read_config_bytes(path, referenced_at), where)
    return parse_yaml(text, where)

