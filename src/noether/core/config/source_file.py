"""Reading a config file's text safely: regular files only, bounded size, UTF-8 only, every failure a ConfigError.

A config path comes from a user (the command line or a ``base:`` entry), so anything may be there: a directory, a
named pipe that would block a reader forever, a symlink loop, a name longer than the file system allows, a binary
file. Each of these is reported as a :class:`ConfigError` naming the file, never as an ``OSError`` or a hang.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from noether.core.errors import ConfigError, Issue

#: Largest config file read, in bytes. Real configs are a few kilobytes; the bound keeps a stray data file (or a
#: generated monster) from costing minutes of parsing.
MAX_FILE_BYTES = 4 * 1024 * 1024

_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}

_OS_REASONS = {
    errno.ENOENT: "no such file",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.ELOOP: "the path is a symlink loop",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.EACCES: "permission denied",
    errno.EISDIR: "it is a directory, not a file",
}


def display_path(path: Path) -> str:
    """The path as shown in locations: relative to the working directory when below it."""
    try:
        absolute = os.path.abspath(path)  # not Path.resolve: that raises on symlink loops
        return str(Path(absolute).relative_to(Path.cwd()))
    except (ValueError, OSError):  # not below the working directory, or the working directory is gone
        return str(path)


def _unreadable(path: Path, reason: str, location: str | None = None) -> ConfigError:
    where = location or display_path(path)
    return ConfigError([Issue((), f"cannot read config file {display_path(path)}: {reason}", where)],
                       "unreadable config")


def read_config_bytes(path: Path, referenced_at: str | None = None) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES`; ``referenced_at`` locates who named it."""
    try:
        info = os.stat(path)  # follows symlinks; stat never blocks, even on a named pipe
    except (OSError, ValueError) as exc:
        code = getattr(exc, "errno", None)
        if code == errno.ENOENT and referenced_at is not None:
            raise ConfigError([Issue((), f"base file not found: {display_path(path)}", referenced_at)],
                              "invalid composition") from None
        reason = _OS_REASONS.get(code, getattr(exc, "strerror", None) or str(exc)) if code else str(exc)
        raise _unreadable(path, reason, referenced_at) from None
    if stat.S_ISDIR(info.st_mode):
        raise _unreadable(path, _OS_REASONS[errno.EISDIR], referenced_at)
    if not stat.S_ISREG(info.st_mode):
        kind = "a named pipe" if stat.S_ISFIFO(info.st_mode) else "not a regular file"
        raise _unreadable(path, f"it is {kind}; a config must be a regular file", referenced_at)
    if info.st_size > MAX_FILE_BYTES:
        raise _unreadable(path, f"it has {info.st_size} bytes, more than the limit of {MAX_FILE_BYTES} for a "
                          "config file", referenced_at)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _unreadable(path, _OS_REASONS.get(exc.errno or 0, exc.strerror or str(exc)), referenced_at) from None
    if len(data) > MAX_FILE_BYTES:  # grew after stat
        raise _unreadable(path, f"it is larger than the limit of {MAX_FILE_BYTES} bytes", referenced_at)
    return data


def decode_config_text(data: bytes, where: str) -> str:
    """UTF-8 text of ``data`` (a UTF-8 byte-order mark is dropped); any other encoding is a located error."""
    for bom, name in _BOMS.items():
        if data.startswith(bom):
            raise ConfigError([Issue((), f"the file is {name}-encoded; save it as UTF-8", where)],
                              "unreadable config")
    try:
        # What the "utf-8-sig" codec does (error offsets too, counted after the mark), without importing it.
        return (data[3:] if data.startswith(b"\xef\xbb\xbf") else data).decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        shown = data[exc.start : exc.start + 4]
        raise ConfigError(
            [Issue((), f"not valid UTF-8 text (bytes {shown!r} at byte offset {exc.start}); a config must be "
                   "UTF-8 YAML (if it is Latin-1 or another encoding, convert it, e.g. with iconv)",
                   f"{where}:{line}:{column}")],
            "unreadable config",
        ) from None
