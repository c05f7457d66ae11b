"""Where Noether keeps its on-disk caches (entry-point scan, generated code), and how it writes them.

Every cache under this directory is an optimisation only: a missing, unreadable, corrupt or unwritable cache
must make the caller fall back to doing the work, silently. This module imports only the standard library
(``contextlib``, ``os``, ``pathlib``; ``tempfile`` when writing) so that the CLI's start-up path can use it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

#: Names the cache directory itself (highest precedence).
ENV_CACHE_DIR = "NOETHER_CACHE_DIR"
#: Set to ``1`` (any value but empty or ``0``) to disable every on-disk cache: nothing is read or written.
ENV_NO_CACHE = "NOETHER_NO_CACHE"


def cache_disabled() -> bool:
    """Whether ``NOETHER_NO_CACHE`` turns the on-disk caches off."""
    return os.environ.get(ENV_NO_CACHE, "").strip() not in ("", "0")


def cache_dir() -> Path | None:
    """The cache directory, or ``None`` when caching is disabled (``NOETHER_NO_CACHE=1``).

    ``$NOETHER_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/noether``, else ``~/.cache/noether``. As the XDG
    base-directory spec says, a relative ``XDG_CACHE_HOME`` is ignored. The directory may not exist yet: it is
    created by the first write (:func:`write_atomic`). The path is absolute, so that a later ``chdir`` does not
    move it.
    """
    if cache_disabled():
        return None
    explicit = os.environ.get(ENV_CACHE_DIR, "").strip()
    if explicit:
        return Path(os.path.abspath(os.path.expanduser(explicit)))
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "noether"
    return Path(os.path.expanduser("~")) / ".cache" / "noether"


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file in the same directory and ``os.replace``.

    So a reader (another process included) sees the old file or the whole new one, never a part. Creates the
    parent directories. Returns ``False`` instead of raising when the cache cannot be written (read-only home,
    full disk, permissions): a cache is never required.
    """
    import tempfile  # only when writing: it costs the start-up of every run a few milliseconds

    tmp = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return False
    return True
