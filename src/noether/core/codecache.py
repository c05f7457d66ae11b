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
FORMAT = 2

#: ``(filename, mode, flags, optimize, len(source), crc32, adler32)``.
_Key = tuple[str, str, int, int, int, int, int]
#: A stored code object and the attrs hash salt compiled into it (None for code without one).
_Entry = tuple[CodeType, "int | None"]
#: What stands for the salt in keys (no source attrs generates contains it).
_SALT_PLACEHOLDER = "__noether_attrs_type_hash__"
_ATTRS_METHODS = "<attrs generated methods "
_FUTURE_FLAGS = tuple(getattr(__future__, name).compiler_flag for name in __future__.all_feature_names)


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
        self._stored: dict[_Key, _Entry] = _read(path) if path is not None else {}
        self._used: dict[_Key, _Entry] = {}
        self._lock = threading.Lock()

    def compile(self, source: Any, filename: Any, mode: str, flags: int = 0, dont_inherit: bool = False,
                optimize: int = -1, **kwargs: Any) -> Any:
        """``builtins.compile``, answered from the cache for plain source text."""
        if not dont_inherit:
            # What the builtin would inherit: the __future__ features of the code that called us.
            caller = sys._getframe(1).f_code.co_flags
            flags |= sum(flag for flag in _FUTURE_FLAGS if caller & flag)
        if kwargs or not isinstance(source, str) or not isinstance(filename, str) or not isinstance(mode, str):
            return builtins.compile(source, filename, mode, flags, True, optimize, **kwargs)
        salt = _attrs_hash_salt(filename)
        text = _unsalted(source, salt).encode("utf-8", "surrogatepass")
        key: _Key = (filename, mode, flags, optimize, len(text), zlib.crc32(text), zlib.adler32(text))
        stored = self._stored.get(key)
        if stored is None:
            code = builtins.compile(source, filename, mode, flags, True, optimize)
            self.misses += 1
            entry = (code, salt)
        else:
            code = stored[0] if stored[1] == salt else _replace_constant(stored[0], stored[1], salt)
            self.hits += 1
            entry = stored
        with self._lock:
            self._used[key] = entry
            self._stored[key] = entry
        return code

    def save(self) -> None:
        """Write the cache if this process compiled something it did not hold (merged with the file's entries)."""
        if self.path is None or self.misses == 0:
            return
        with self._lock:
            used = dict(self._used)
        # Another process may have written meanwhile: keep its entries, this process's last (most recent).
        merged = {key: entry for key, entry in _read(self.path).items() if key not in used}
        merged.update(used)
        if len(merged) > MAX_ENTRIES:
            merged = dict(list(merged.items())[-MAX_ENTRIES:])
        write_atomic(self.path, marshal.dumps(merged))


def _read(path: Path) -> dict[_Key, _Entry]:
    """The entries of a cache file; empty when it is missing, unreadable or not a cache file."""
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: entry for key, entry in data.items()
            if isinstance(key, tuple) and len(key) == 7 and isinstance(entry, tuple) and len(entry) == 2
            and isinstance(entry[0], CodeType) and (entry[1] is None or isinstance(entry[1], int))}


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


def _replace_constant(code: CodeType, old: int | None, new: int | None) -> CodeType:
    """``code`` (and the functions it defines) with the integer constant ``old`` replaced by ``new``."""
    consts = code.co_consts
    replaced = tuple(
        new if type(const) is int and const == old
        else _replace_constant(const, old, new) if type(const) is CodeType else const
        for const in consts
    )
    if all(a is b for a, b in zip(replaced, consts, strict=True)):
        return code  # nothing of it holds the constant: no copy
    return code.replace(co_consts=replaced)


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
    for module in _patched:
        module.__dict__.pop("compile", None)
    _patched.clear()
    _installed = None
