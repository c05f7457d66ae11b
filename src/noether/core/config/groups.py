"""Config groups: a ``defaults:`` list of ``group: option`` entries, composed as upstream's Hydra layout does.

The subset of Hydra's defaults list implemented here (see ``docs/interpolation-and-sweeps.md``):

* ``- group: option`` loads ``<group>/<option>.yaml`` (relative to the directory of the file holding the list;
  ``/group`` from the primary config's directory) and merges it under the key ``group`` (``a/b`` -> ``a.b``);
  ``- group@pkg: option`` merges it under ``pkg``; a ``# @package _global_`` (or ``# @package x.y``) first line
  in the option file merges it at the root (or at ``x.y``);
* ``- name`` loads ``name.yaml`` beside the current file, merged at the current file's package;
* ``- _self_`` places the file's own content; without it the file's content comes last;
* ``- group: null`` is a place holder; ``- optional group: option`` skips a missing option;
* ``- override /group: option`` (usually in an ``experiment/`` file) replaces the option chosen elsewhere;
* on the command line, ``group=option`` selects an option when ``<group>/<option>.yaml`` exists, and
  ``+group=option`` adds a group the list does not name.

Own implementation rather than a bridge to Hydra's compose API: locations (file:line:col per value) must survive
composition, which Hydra's OmegaConf objects do not keep, and hydra-core would be a heavy dependency for a loader
that otherwise needs only ruamel.yaml.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from noether._records import FrozenRecord, Record
from noether.core.config.yaml_source import Document, Path_
from noether.core.errors import ConfigError, Issue

DEFAULTS_KEY = "defaults"
_PACKAGE_HEADER = re.compile(r"^\s*#\s*@package\s+(\S+)\s*$")
_NAME = re.compile(r"^/?[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$")


# GroupChoices and _Entry are records (noether._records), not attrs classes: every start creates them.
class GroupChoices(Record):
    """Options chosen for groups: from the command line (win over all) and from ``override`` entries."""

    __slots__ = __fields__ = __match_args__ = ("config_dir", "command_line", "from_files", "used", "seen_groups")
    config_dir: Path
    command_line: dict[str, tuple[str | None, str]]  # group -> (option, override text)
    from_files: dict[str, str | None]
    used: set[str]  # override texts consumed as group selections
    seen_groups: set[str]

    def __init__(self, config_dir: Path, command_line: dict[str, tuple[str | None, str]] | None = None,
                 from_files: dict[str, str | None] | None = None, used: set[str] | None = None,
                 seen_groups: set[str] | None = None) -> None:
        self.config_dir = config_dir
        self.command_line = {} if command_line is None else command_line
        self.from_files = {} if from_files is None else from_files
        self.used = set() if used is None else used
        self.seen_groups = set() if seen_groups is None else seen_groups

    def option_for(self, group: str, written: str | None) -> str | None:
        if group in self.command_line:
            option, text = self.command_line[group]
            self.used.add(text)
            return option
        return self.from_files.get(group, written)


def group_candidates(config_dir: Path, overrides: Sequence[str]) -> dict[str, tuple[str | None, str]]:
    """Command-line overrides that select a group option (``model=transformer``, ``+experiment=big``)."""
    found: dict[str, tuple[str | None, str]] = {}
    for text in overrides:
        key, sep, value = text.removeprefix("+").partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or "." in key or "[" in key or not _NAME.match(key) or not value:
            continue
        group = key.strip("/")
        if value == "null":
            if (config_dir / group).is_dir():
                found[group] = (None, text)
            continue
        if _NAME.match(value) and (config_dir / group / f"{value}.yaml").is_file():
            found[group] = (value, text)
    return found


def package_header(path: Path) -> str | None:
    """The ``# @package X`` line at the top of a file, if any (only comment lines may precede it)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    for line in head.splitlines():
        match = _PACKAGE_HEADER.match(line)
        if match:
            return match.group(1)
        if line.strip() and not line.lstrip().startswith("#"):
            return None
    return None


def _package_path(package: str) -> Path_:
    if package in ("_global_", ""):
        return ()
    return tuple(part for part in package.replace("/", ".").split(".") if part)


def under(doc: Document, prefix: Path_) -> Document:
    """``doc`` moved under ``prefix`` (locations too)."""
    if not prefix:
        return doc
    data: Any = doc.data
    for part in reversed(prefix):
        data = {part: data}
    locations = {(*prefix, *key): loc for key, loc in doc.locations.items()}
    root = doc.locations.get(())
    if root:
        for cut in range(len(prefix)):
            locations.setdefault(prefix[:cut], root)
    return Document(data, locations)


class _Entry(FrozenRecord):
    __slots__ = __fields__ = __match_args__ = ("kind", "name", "option", "package", "override", "optional",
                                               "location")
    kind: str  # "self", "config", "group"
    name: str | None  # config name, or group path
    option: str | None
    package: str | None
    override: bool
    optional: bool
    location: str | None

    def __init__(self, kind: str, name: str | None = None, option: str | None = None, package: str | None = None,
                 override: bool = False, optional: bool = False, location: str | None = None) -> None:
        set_field = object.__setattr__
        set_field(self, "kind", kind)
        set_field(self, "name", name)
        set_field(self, "option", option)
        set_field(self, "package", package)
        set_field(self, "override", override)
        set_field(self, "optional", optional)
        set_field(self, "location", location)


def parse_entries(value: Any, doc: Document) -> list[_Entry]:
    """The entries of a ``defaults:`` list, each located; malformed entries are one ConfigError."""
    path: Path_ = (DEFAULTS_KEY,)
    if not isinstance(value, list):
        raise ConfigError([Issue(path, "expected a list of 'group: option' entries, '_self_' or config names",
                                 doc.location_of(path))], "invalid composition")
    entries: list[_Entry] = []
    issues: list[Issue] = []
    for index, item in enumerate(value):
        where = doc.location_of((*path, index))
        if item == "_self_":
            entries.append(_Entry("self", location=where))
        elif isinstance(item, str) and _NAME.match(item.split("@")[0]):
            name, _, package = item.partition("@")
            entries.append(_Entry("config", name=name, package=package or None, location=where))
        elif isinstance(item, dict) and len(item) == 1:
            (key, option), = item.items()
            words = str(key).split()
            flags = set(words[:-1])
            group, _, package = (words[-1] if words else "").partition("@")
            if not words or flags - {"override", "optional"} or not _NAME.match(group):
                issues.append(Issue((*path, index), f"cannot read the entry {item!r}: expected "
                                    "'[override|optional] group[@package]: option'", where))
                continue
            if option is not None and not (isinstance(option, str) and _NAME.match(option)):
                issues.append(Issue((*path, index), f"the option of '{group}' must be a config name or null, "
                                    f"got {option!r} (lists of options are not supported)", where))
                continue
            entries.append(_Entry("group", name=group, option=option, package=package or None,
                                  override="override" in flags, optional="optional" in flags, location=where))
        else:
            issues.append(Issue((*path, index), f"cannot read the entry {item!r}: expected '_self_', a config "
                                "name or 'group: option'", where))
    if issues:
        raise ConfigError(issues, "invalid composition")
    return entries


ComposeFile = Callable[[Path, Any, str | None], Document]


def compose_defaults(doc: Document, defaults: Any, path: Path, own_group: str, choices: GroupChoices,
                     compose_file: ComposeFile, merge_into: Callable[[Document, Document], None],
                     is_primary: bool, chain: Any) -> Document:
    """The file ``doc`` (at ``path``, in group ``own_group``) composed with its ``defaults`` entries.

    ``compose_file(path, chain, referenced_at)`` loads a referenced file (with its own bases and defaults);
    ``merge_into`` deep-merges documents. Returns the merged document at the file's own root.
    """
    entries = parse_entries(defaults, doc)
    if is_primary:
        listed = {e.name.strip("/") for e in entries if e.kind == "group" and e.name}
        for group, (option, text) in choices.command_line.items():
            if group not in listed and option is not None:
                entries.append(_Entry("group", name=group, option=option, location=f"override '{text}' "
                                      "(command line)"))
    for entry in entries:  # overrides first: they change choices of groups listed anywhere in the tree
        if entry.kind == "group" and entry.override and entry.name:
            group = _absolute_group(entry.name, own_group)
            choices.from_files.setdefault(group, entry.option)
    if not any(e.kind == "self" for e in entries):
        entries.append(_Entry("self"))
    merged = Document({}, {(): doc.locations.get((), str(path))})
    base_dir = choices.config_dir / own_group if own_group else choices.config_dir
    issues: list[Issue] = []
    for entry in entries:
        if entry.kind == "self":
            merge_into(merged, doc)
            continue
        if entry.override:
            continue
        try:
            if entry.kind == "config":
                assert entry.name is not None
                target = base_dir / f"{entry.name.lstrip('/')}.yaml" if not entry.name.startswith("/") \
                    else choices.config_dir / f"{entry.name[1:]}.yaml"
                loaded = compose_file(target, chain, entry.location)
                merge_into(merged, under(loaded, _package_path(entry.package or "")))
                continue
            assert entry.name is not None
            group = _absolute_group(entry.name, own_group)
            choices.seen_groups.add(group)
            option = choices.option_for(group, entry.option)
            if option is None:
                continue
            target = choices.config_dir / group / f"{option}.yaml"
            if entry.optional and not target.is_file():
                continue
            if not target.is_file():
                available = sorted(p.stem for p in (choices.config_dir / group).glob("*.yaml")) \
                    if (choices.config_dir / group).is_dir() else []
                hint = f"; options: {', '.join(available)}" if available else \
                    f"; there is no directory {group}/ beside the primary config"
                issues.append(Issue((DEFAULTS_KEY,), f"group '{group}' has no option '{option}' "
                                    f"({os.path.relpath(target)} does not exist){hint}", entry.location))
                continue
            loaded = compose_file(target, chain, entry.location)
            header = package_header(target)
            package = entry.package or header or group
            if package == "_group_":
                package = group
            merge_into(merged, under(loaded, _package_path(package)))
        except ConfigError as exc:
            issues.extend(exc.issues)
    if issues:
        raise ConfigError(issues, "invalid composition")
    return merged


def _absolute_group(name: str, own_group: str) -> str:
    if name.startswith("/"):
        return name.strip("/")
    return f"{own_group}/{name}".strip("/") if own_group else name.strip("/")
