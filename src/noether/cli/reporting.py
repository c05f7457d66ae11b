"""How the CLI reports errors: user errors as a readable message and exit status 2, never a traceback."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from noether.core.errors import ConfigError

EXIT_USAGE = 2
#: Exit status after the reader of stdout closed the pipe (128 + SIGPIPE, as the shell reports a killed writer).
EXIT_BROKEN_PIPE = 141


def print_config_error(error: ConfigError) -> None:
    """Print every issue of a config error to stderr."""
    n = len(error.issues)
    print(f"error: {error.header} ({n} problem{'s' if n != 1 else ''})", file=sys.stderr)
    for issue in error.issues:
        where = f"{issue.location}: " if issue.location else ""
        print(f"  {where}{issue.dotted_path}: {issue.message}", file=sys.stderr)


def run_reporting_errors(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Call a command handler, turning user errors into messages (``NOETHER_TRACEBACK=1`` shows tracebacks)."""
    from noether.core.registry import RegistryError

    try:
        status = handler(args)
        sys.stdout.flush()  # here, not at exit: a closed pipe is then reported as one (below)
        return status
    except ConfigError as exc:
        if os.environ.get("NOETHER_TRACEBACK"):
            raise
        print_config_error(exc)
        return EXIT_USAGE
    except RegistryError as exc:
        if os.environ.get("NOETHER_TRACEBACK"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError as exc:
        if not stdout_reader_gone():  # another pipe broke (a tracker's, a child's): a real error
            return _report_unexpected(exc)
        # The reader of stdout went away (``noether schema | head -1``): stop quietly, as a program killed by
        # SIGPIPE does, and keep the interpreter's final flush of stdout from failing again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        return _report_unexpected(exc)


def _report_unexpected(exc: Exception) -> int:
    if os.environ.get("NOETHER_TRACEBACK"):
        raise exc
    import traceback

    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" (raised at {frame.filename}:{frame.lineno})" if frame else ""
    print(f"error: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
    print("set NOETHER_TRACEBACK=1 to see the full traceback", file=sys.stderr)
    return 1


def stdout_reader_gone() -> bool:
    """Whether stdout is a pipe (or socket) whose reading end is closed (``poll`` reports an error on it)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no file descriptor (captured), or no poll on this system
        return False
