"""The entry points of installed plugins, scanned once and remembered on disk between runs.

Scanning means importing :mod:`importlib.metadata` (which pulls in the ``email`` package to parse metadata) and
reading every installed distribution: a large share of ``noether check``'s start-up, for an answer that changes
only when a distribution is installed, removed or rewritten. So the answer (name, value, distribution, version
of each entry point) is kept in ``<cache dir>/entry_points.marshal`` under a key that changes whenever it could:

* every ``sys.path`` entry that holds distribution metadata, in order (a distribution earlier on the path hides
  a later one of the same name, as in :mod:`importlib.metadata`); entries without any are left out, so the
  current directory that the CLI puts first on the path does not split the cache per project;
* in each, the name of every ``*.dist-info`` / ``*.egg-info`` (``EGG-INFO`` in an ``.egg``) and the mtimes
  of its ``entry_points.txt`` and ``METADATA`` / ``PKG-INFO`` (an editable install regenerates these in place);
  the mtime of a zip file on the path.

The directories are listed on every call (a few hundred names: well under a millisecond), so an install or an
uninstall is seen even where a directory's own mtime is coarse. A scan made while any of those mtimes is under
two seconds old is used but not written (a change in the same clock tick could otherwise hide behind an equal
mtime, as git's "racy" index entries). The cache is never required: unreadable, corrupt or unwritable means a
plain scan; ``NOETHER_NO_CACHE=1`` (see :mod:`noether.core.cache_dir`) turns it off. A distribution finder that
is not the standard path finder (``sys.meta_path``) can list distributions this key cannot see: then there is
no caching either.
"""

from __future__ import annotations

import importlib
import marshal
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

from noether.core.cache_dir import cache_dir, write_atomic

#: Name of the cache file in the cache directory. It is written with :mod:`marshal` (plain lists, strings and
#: ints only): a built-in module, where importing :mod:`json` would cost every run a few milliseconds.
CACHE_FILE = "entry_points.marshal"
#: Bumped when the file's layout or the key changes: older files are then ignored.
FORMAT = 1
#: How many keys (virtual environments, ``PYTHONPATH`` settings) one file remembers, newest first.
MAX_RECORDS = 8
#: Metadata files younger than this are "racy": a scan that sees them is not written (nanoseconds).
RACY_NS = 2_000_000_000

_METADATA_SUFFIXES = (".dist-info", ".egg-info")


class PluginEntryPoint(NamedTuple):
    """One entry point of a group: what :mod:`importlib.metadata` reports, as plain strings."""

    name: str
    value: str
    distribution: str
    version: str

    def load(self) -> Any:
        """Import the object ``value`` names (``module``, ``module:attr`` or ``module:attr.sub [extras]``)."""
        target = self.value.split("[", 1)[0]
        module_name, _, attr = target.partition(":")
        obj: Any = importlib.import_module(module_name.strip())
        for part in attr.strip().split("."):
            if part:
                obj = getattr(obj, part)
        return obj


def entry_points(group: str) -> list[PluginEntryPoint]:
    """Every entry point of ``group``, in the order :func:`importlib.metadata.entry_points` yields them.

    Served from the on-disk cache when its key matches the installed distributions; otherwise scanned with
    :mod:`importlib.metadata` and (unless racy) written back.
    """
    directory = cache_dir()
    if directory is None or not _standard_finders_only():
        return scan(group)
    key = state_key()
    path = directory / CACHE_FILE
    records = _read_records(path)
    for record in records:
        if record.get("group") == group and record.get("key") == key:
            cached = _entry_points_of(record)
            if cached is not None:
                return cached
    found = scan(group)
    if not _racy(key):
        fresh = {"group": group, "key": key, "entry_points": [list(ep) for ep in found]}
        kept = [r for r in records if not (r.get("group") == group and r.get("key") == key)]
        document = {"format": FORMAT, "records": [fresh, *kept][:MAX_RECORDS]}
        write_atomic(path, marshal.dumps(document))
    return found


def scan(group: str) -> list[PluginEntryPoint]:
    """The entry points of ``group`` read with :mod:`importlib.metadata` (no cache)."""
    import importlib.metadata

    found = []
    for ep in importlib.metadata.entry_points(group=group):
        dist = ep.dist
        name = (dist.metadata["Name"] if dist is not None else None) or "?"
        version = (dist.version if dist is not None else None) or "?"
        found.append(PluginEntryPoint(ep.name, ep.value, str(name), str(version)))
    return found


def state_key() -> list[Any]:
    """What the scan's answer depends on, as plain lists (see the module docstring)."""
    entries: list[Any] = []
    for entry in sys.path:
        if not isinstance(entry, str):
            continue
        root = os.path.abspath(entry or ".")  # importlib.metadata reads "" as the current directory
        try:
            info = os.stat(root)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode):
            entries.append([root, info.st_mtime_ns])  # a zip file: its mtime covers its contents
            continue
        found = _metadata_in(root)
        if found:
            entries.append([root, found])
    return [FORMAT, sys.implementation.cache_tag, entries]


def _metadata_in(root: str) -> list[list[Any]]:
    """``[name, mtimes...]`` of each metadata directory (or file) directly in ``root``.

    The mtimes are those of the files a scan reads: ``entry_points.txt`` and ``METADATA`` (``PKG-INFO`` in an
    egg-info), or of the egg-info itself when it is a single file. A reinstall rewrites them, an uninstall
    removes the name, so the directory's own mtime adds nothing (two stats per distribution, not three).
    """
    is_egg = root.lower().endswith(".egg")
    try:
        with os.scandir(root) as listing:
            names = sorted(e.name for e in listing
                           if e.name.lower().endswith(_METADATA_SUFFIXES) or (is_egg and e.name.lower() == "egg-info"))
    except OSError:
        return []
    found = []
    # Paths joined by hand: os.path.join for two files of every distribution was a third of this function.
    prefix = root if root.endswith(os.sep) else root + os.sep
    for name in names:
        path = prefix + name + os.sep
        if name.lower().endswith(".dist-info"):
            found.append([name, _mtime(path + "entry_points.txt"), _mtime(path + "METADATA")])
            continue
        watched = [_mtime(path + "entry_points.txt"), _mtime(path + "PKG-INFO")]
        if watched == [-1, -1]:
            watched.append(_mtime(prefix + name))  # an egg-info that is one file (PKG-INFO's content)
        found.append([name, *watched])
    return found


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _racy(key: list[Any]) -> bool:
    """Whether a metadata mtime in ``key`` is so recent that a change in the same clock tick could hide."""
    newest = -1
    for entry in key[2]:
        if isinstance(entry[1], int):
            newest = max(newest, entry[1])
        else:
            for item in entry[1]:
                newest = max(newest, *item[1:])
    return newest > time.time_ns() - RACY_NS


def _standard_finders_only() -> bool:
    """Whether distributions come only from the standard path finder (whose sources :func:`state_key` sees)."""
    import importlib.machinery

    return all(finder is importlib.machinery.PathFinder or not hasattr(finder, "find_distributions")
               for finder in sys.meta_path)


def _read_records(path: Path) -> list[dict[str, Any]]:
    """The records of the cache file; ``[]`` when it is missing, unreadable, of another format or corrupt."""
    try:
        document = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return []
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return []
    records = document.get("records")
    if not isinstance(records, list):
        return []
    return [r for r in records if isinstance(r, dict)]


def _entry_points_of(record: dict[str, Any]) -> list[PluginEntryPoint] | None:
    """The entry points a record holds, ``None`` when it is malformed."""
    items = record.get("entry_points")
    if not isinstance(items, list):
        return None
    found = []
    for item in items:
        if not (isinstance(item, list) and len(item) == 4 and all(isinstance(part, str) for part in item)):
            return None
        found.append(PluginEntryPoint(*item))
    return found
