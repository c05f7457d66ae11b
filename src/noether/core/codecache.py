"""A disk cache of the code objects that attrs and cattrs compile, so that start-up skips compiling them.

Every schema class makes attrs generate and ``compile`` the source of its methods, and structuring makes
cattrs generate and compile a function per class: about two hundred ``compile`` calls, a third of the
start-up of ``noether check``. Compiling is a pure function of (source, file name, mode, flags, optimize):
the code object does not depend on the globals it later runs with. So the cache stores code objects keyed by
exactly those values, which makes invalidation follow the generated code itself: a new attrs or cattrs
version, a changed schema or another Python generates another source or reads another file (the file name
carries the interpreter's bytecode tag). The source enters the key as its length and two checksums (CRC-32
and Adler-32 from ``zlib``, 64 bits together; ``hashlib`` would cost more to import than the lookups save),
next to the file name, which names the class: a false hit needs two generated sources for the same class of
equal length and equal checksums. Storing the sources instead would make the file, read at every start, five
times larger.

The cache is never required. It is read once, when installed, written once at exit if the process compiled
something new, atomically (temporary file and rename), and a missing, unreadable or corrupt file only means
compiling as usual. ``NOETHER_NO_CACHE=1`` turns it off (see :mod:`noether.core.cache_dir`).

The file is an index (key -> offset and length of the entry's marshalled code object) followed by the code
bytes: start-up reads only the index, and an entry's bytes are read and decoded when it is hit. The file
keeps up to :data:`MAX_ENTRIES` entries of every command a user ran, while one ``noether check`` uses about
seventy, so what a start costs follows what it uses, not what the file holds. A corrupt entry (bytes that do
not decode to a code object, a malformed record, a file cut short) is a miss: that source is compiled as usual
and the entry written anew. Each entry also records where attrs' hash salt sits among the constants of its
code objects, so a hit puts this process's salt there without searching every nested code object.

Installing puts a ``compile`` into the namespaces of the modules that generate code (``attr._make``,
``cattrs.gen``, ``cattrs.gen.typeddicts``), shadowing the builtin for those modules only; the replacement
compiles exactly as the builtin would when called from them (same flags, inherited ``__future__`` features
included) and passes every call it cannot key straight to the builtin.
"""

from __future__ import annotations
import __future__

import atexit
import builtins
import importlib
import marshal
import os
import sys
import threading
import zlib
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

from noether.core.cache_dir import cache_dir, write_atomic

#: Modules whose generated code is cached.
GENERATING_MODULES = ("attr._make", "cattrs.gen", "cattrs.gen.typeddicts")
#: Beyond this many entries the file drops those that went longest unused (bounds its size and read time).
MAX_ENTRIES = 2048
#: Bumped when the layout of the file changes.
FORMAT = 3

#: ``(filename, mode, flags, optimize, len(source), crc32, adler32)``.
_Key = tuple[str, str, int, int, int, int, int]
#: Where an integer constant sits: the indices into ``co_consts`` from the outer code object inwards.
_Position = tuple[int, ...]
#: A stored entry as the file holds it: the marshalled code object, the attrs hash salt compiled into it (None
#: for code without one) and the positions of that salt among the constants.
_Record = tuple[bytes, "int | None", tuple[_Position, ...]]
#: What stands for the salt in keys (no source attrs generates contains it).
_SALT_PLACEHOLDER = "__noether_attrs_type_hash__"
_ATTRS_METHODS = "<attrs generated methods "
_FUTURE_FLAGS = tuple(getattr(__future__, name).compiler_flag for name in __future__.all_feature_names)
#: The same flags as one mask (each is a distinct bit, or 0).
_FUTURE_MASK = sum(set(_FUTURE_FLAGS))


def cache_file(directory: Path) -> Path:
    """The cache file for this interpreter in ``directory`` (bytecode differs between Python versions)."""
    tag = sys.implementation.cache_tag or f"{sys.implementation.name}-{sys.hexversion:x}"
    return directory / f"generated-code-{tag}-v{FORMAT}.marshal"


class CodeCache:
    """Code objects by file name, mode, flags, optimize and the source's checksums, kept in one file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.hits = 0
        self.misses = 0
        # The file's index; an entry's code bytes are read from the file and decoded when it is hit.
        self._file = _CacheFile.open(path) if path is not None else None
        self._stored: dict[Any, Any] = self._file.index if self._file is not None else {}
        self._used: dict[_Key, _Record] = {}
        self._lock = threading.Lock()

    def compile(self, source: Any, filename: Any, mode: str, flags: int = 0, dont_inherit: bool = False,
                optimize: int = -1, **kwargs: Any) -> Any:
        """``builtins.compile``, answered from the cache for plain source text."""
        if not dont_inherit:
            # What the builtin would inherit: the __future__ features of the code that called us.
            caller = sys._getframe(1).f_code.co_flags
            flags |= caller & _FUTURE_MASK
        if kwargs or not isinstance(source, str) or not isinstance(filename, str) or not isinstance(mode, str):
            return builtins.compile(source, filename, mode, flags, True, optimize, **kwargs)
        salt = _attrs_hash_salt(filename)
        text = _unsalted(source, salt).encode("utf-8", "surrogatepass")
        key: _Key = (filename, mode, flags, optimize, len(text), zlib.crc32(text), zlib.adler32(text))
        with self._lock:
            record = self._used.get(key) or self._record(key)
        code = _decode(record, salt) if record is not None else None
        if record is None or code is None:  # not stored, or a corrupt entry: compile as usual (and store it anew)
            code = builtins.compile(source, filename, mode, flags, True, optimize)
            self.misses += 1
            record = (marshal.dumps(code), salt, _positions(code, salt) if salt is not None else ())
        else:
            self.hits += 1
        with self._lock:
            self._used[key] = record
        return code

    def _record(self, key: _Key) -> _Record | None:
        """The stored record of ``key`` with its code bytes read from the file; None if absent or malformed."""
        entry = self._stored.get(key)
        if self._file is None or not (isinstance(entry, tuple) and len(entry) == 4):
            return None
        offset, length, salt, positions = entry
        blob = self._file.read(offset, length)
        return None if blob is None else (blob, salt, positions)

    def save(self) -> None:
        """Write the cache if this process compiled something it did not hold (merged with the file's entries)."""
        if self.path is None or self.misses == 0:
            return
        with self._lock:
            used = dict(self._used)
        # Another process may have written meanwhile: keep its entries, this process's last (most recent).
        merged: dict[Any, Any] = {key: record for key, record in _read(self.path).items() if key not in used}
        merged.update(used)
        if len(merged) > MAX_ENTRIES:
            merged = dict(list(merged.items())[-MAX_ENTRIES:])
        write_atomic(self.path, _encode(merged))

    def close(self) -> None:
        """Let go of the file this cache reads entries from (an entry not read yet is then compiled anew)."""
        if self._file is not None:
            self._file.close()


#: The file starts with the length of the index in this many bytes (little-endian), then the index, then the
#: code bytes of every entry one after another.
_HEADER = 8
#: At least this many bytes are read at once from the code region (a system call per hit costs more).
_READ_AHEAD = 1 << 15


class _CacheFile:
    """A cache file opened for reading: its index in memory, the code bytes read where an entry is hit.

    The file is kept open, so the entries read later come from the same file even when another process has
    replaced it meanwhile (it is only ever replaced by a rename, never rewritten in place). Without
    ``os.pread`` (Windows) the whole file is read at once.
    """

    def __init__(self, fd: int | None, data: bytes, index: dict[Any, Any], start: int, size: int) -> None:
        self._fd = fd
        self._data = data
        self.index = index
        self._start = start
        self._size = size
        # The bytes last read and where they start: entries used together lie together in the file (each run's
        # entries are written in the order it used them), so one read serves several hits.
        self._window = b""
        self._window_at = 0
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path) -> _CacheFile | None:
        """The file at ``path`` with its index read; None when it is missing, unreadable or no cache file."""
        fd: int | None = None
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
            total = os.fstat(fd).st_size
            if hasattr(os, "pread"):
                data = b""
                head = os.pread(fd, _HEADER, 0)
                size = int.from_bytes(head, "little")
                # A size beyond the file is a corrupt header: not read (it could ask for any amount of memory).
                raw = os.pread(fd, size, _HEADER) if len(head) == _HEADER and size <= total - _HEADER else b""
            else:  # no positioned reads: the whole file, sliced when hit
                with os.fdopen(fd, "rb") as handle:
                    fd, data = None, handle.read()
                size = int.from_bytes(data[:_HEADER], "little")
                raw = data[_HEADER:_HEADER + size]
            index = marshal.loads(raw) if len(raw) == size and size else None
        except (OSError, ValueError, EOFError, TypeError):
            index = None
        if not isinstance(index, dict):
            if fd is not None:
                os.close(fd)
            return None
        return cls(fd, data, index, _HEADER + size, total)

    def read(self, offset: Any, length: Any) -> bytes | None:
        """The ``length`` bytes at ``offset`` of the code region; None when they cannot all be read."""
        if not (isinstance(offset, int) and isinstance(length, int) and offset >= 0 and length > 0):
            return None
        position = self._start + offset
        if position + length > self._size:
            return None
        if self._fd is None:
            blob = self._data[position:position + length]
            return blob if len(blob) == length else None
        with self._lock:
            if self._fd is None:  # closed meanwhile
                return None
            start = position - self._window_at
            if start < 0 or start + length > len(self._window):
                try:
                    self._window = os.pread(self._fd, max(length, _READ_AHEAD), position)
                except OSError:
                    return None
                self._window_at, start = position, 0
            blob = self._window[start:start + length]
        return blob if len(blob) == length else None

    def close(self) -> None:
        """Close the file (reads then answer None)."""
        with self._lock:
            fd, self._fd = self._fd, None
            self._data = self._window = b""
        if fd is not None:
            os.close(fd)

    def __del__(self, _close: Any = os.close) -> None:
        # Bound at definition: at interpreter exit the module's globals (contextlib too) may already be gone.
        fd, self._fd = self._fd, None
        if fd is not None:
            try:  # noqa: SIM105
                _close(fd)
            except OSError:
                pass


def _encode(records: dict[Any, _Record]) -> bytes:
    """The bytes of a cache file holding ``records`` (see :data:`_HEADER`)."""
    index: dict[Any, tuple[int, int, int | None, tuple[_Position, ...]]] = {}
    offset = 0
    for key, (blob, salt, positions) in records.items():
        index[key] = (offset, len(blob), salt, positions)
        offset += len(blob)
    head = marshal.dumps(index)
    return len(head).to_bytes(_HEADER, "little") + head + b"".join(record[0] for record in records.values())


def _read(path: Path) -> dict[_Key, _Record]:
    """The well-formed records of a cache file (their code still marshalled); empty when there is none."""
    file = _CacheFile.open(path)
    if file is None:
        return {}
    try:
        records: dict[_Key, _Record] = {}
        for key, entry in file.index.items():
            if not (isinstance(key, tuple) and len(key) == 7 and isinstance(entry, tuple) and len(entry) == 4
                    and (entry[2] is None or isinstance(entry[2], int)) and isinstance(entry[3], tuple)):
                continue
            blob = file.read(entry[0], entry[1])
            if blob is not None:
                records[key] = (blob, entry[2], entry[3])
        return records
    finally:
        file.close()


def _decode(record: _Record, salt: int | None) -> CodeType | None:
    """The code object of a stored record with ``salt`` in place of the stored one; ``None`` if it is corrupt."""
    blob, stored_salt, positions = record
    try:
        code = marshal.loads(blob)
    except (ValueError, EOFError, TypeError):
        return None
    if type(code) is not CodeType or not (stored_salt is None or isinstance(stored_salt, int)):
        return None
    if stored_salt == salt:
        return code
    if stored_salt is None or salt is None or not isinstance(positions, tuple):
        return None  # the key says whether there is a salt: a record that disagrees is corrupt
    try:
        for position in positions:
            code = _replace_at(code, position, stored_salt, salt)
    except (IndexError, TypeError, ValueError):
        return None
    return code


def _positions(code: CodeType, value: int, prefix: _Position = ()) -> tuple[_Position, ...]:
    """Where the integer constant ``value`` sits in ``code`` and the code objects it defines."""
    found: list[_Position] = []
    for index, const in enumerate(code.co_consts):
        if type(const) is int and const == value:
            found.append((*prefix, index))
        elif type(const) is CodeType:
            found.extend(_positions(const, value, (*prefix, index)))
    return tuple(found)


def _replace_at(code: CodeType, position: _Position, old: int, new: int) -> CodeType:
    """``code`` with the constant at ``position`` (which must be ``old``) replaced by ``new``."""
    index, rest = position[0], position[1:]
    consts = code.co_consts
    const = consts[index]
    if rest:
        if type(const) is not CodeType:
            raise TypeError("a recorded position names no code object")
        replaced: Any = _replace_at(const, rest, old, new)
    else:
        if type(const) is not int or const != old:
            raise ValueError("a recorded position does not hold the salt")
        replaced = new
    return code.replace(co_consts=(*consts[:index], replaced, *consts[index + 1:]))


def _attrs_hash_salt(filename: str) -> int | None:
    """The per-process constant attrs writes into a class's ``__hash__`` source, if ``filename`` is attrs'.

    attrs salts each class's hash with ``hash()`` of a name made from the class, which string-hash
    randomisation changes in every process; without taking it out of the key no hashable class would ever hit.
    The name is rebuilt from the file name attrs compiles the class's methods under.
    """
    if not filename.startswith(_ATTRS_METHODS) or not filename.endswith(">"):
        return None
    return hash(f"<attrs generated hash {filename[len(_ATTRS_METHODS):-1]}>")


def _unsalted(source: str, salt: int | None) -> str:
    """The source with the salt's literal replaced by a placeholder (the key part that is stable)."""
    if salt is None:
        return source
    return source.replace(f" {salt},", f" {_SALT_PLACEHOLDER},")


_installed: CodeCache | None = None
_patched: list[ModuleType] = []


def install() -> CodeCache | None:
    """Serve the generating modules' ``compile`` from the cache (once per process); None when disabled."""
    global _installed
    if _installed is not None:
        return _installed
    directory = cache_dir()
    if directory is None:
        return None
    cache = CodeCache(cache_file(directory))
    for name in GENERATING_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        # Only where ``compile`` means the builtin; a module that defines its own name keeps it.
        if module.__dict__.get("compile", builtins.compile) is builtins.compile:
            module.compile = cache.compile  # type: ignore[attr-defined]
            _patched.append(module)
    _installed = cache
    atexit.register(cache.save)
    return cache


def uninstall() -> None:
    """Undo :func:`install` (the builtin again) without writing; for tests and embedding."""
    global _installed
    if _installed is not None:
        atexit.unregister(_installed.save)
        _installed.close()
    for module in _patched:
        module.__dict__.pop("compile", None)
    _patched.clear()
    _installed = None
