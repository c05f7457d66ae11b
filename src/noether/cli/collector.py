"""The cyclic garbage collector paused around work whose objects nearly all live on (imports, a config check).

Python's collector runs a pass every few hundred net allocations and, now and then, a full pass over every
tracked object. Work that creates long-lived objects gives those passes little to free. Importing torch and the
training modules creates about 260,000 tracked objects; with the collector running that took 1.7-2.2 s on the
2-core development VM, paused 1.4-1.5 s. :func:`collector_paused` pauses it for such a block; afterwards the
block's objects join the oldest generation at once, or, with ``freeze``, the permanent one (``gc.freeze``), so
that later full passes (of the run's set-up, its training, and data-loader workers forked from it, whose copied
pages a pass would touch) skip the modules, classes and functions that never die. A one-epoch ``noether run`` of
the airfoil example took 3.3 s with the imports frozen against 4.1 s before (medians of eight alternating pairs;
benchmarks/README.md, section 2a). The price: the imports' own cyclic garbage (about 84,000 small objects, some
3 MB) is kept until the process exits instead of being freed by a full pass. The commands freeze only when they
are the program (``noether ...``, ``python -m noether ...``); called as ``main([...])`` from a caller's code (a
test, a notebook) they leave the caller's collector as they found it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def collector_paused(*, freeze: bool = False) -> Iterator[None]:
    """Pause the cyclic collector for the block (unless the caller already paused it).

    After the block its objects are moved to the oldest generation, or with ``freeze`` to the permanent
    generation, so that the first pass after resuming does not examine all of them. Garbage in reference
    cycles created by the block is freed by a later full pass; when frozen it is kept until the process exits
    (for imports a few MB; see the module's docstring).
    """
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            if freeze:
                gc.freeze()
            elif not gc.get_freeze_count():
                # Two list splices: the block's objects join the oldest generation (unless the caller froze
                # objects itself, which unfreezing would undo).
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def imports_paused(args: Any) -> contextlib.AbstractContextManager[None]:
    """:func:`collector_paused` for a command's imports (torch and the training modules: objects that live
    until the process ends), frozen when the command is the program (``args.own_process``, set by
    :func:`noether.cli.main.main` when it reads ``sys.argv``), else handed to the oldest generation."""
    return collector_paused(freeze=bool(getattr(args, "own_process", False)))


__all__ = ["collector_paused", "imports_paused"]
