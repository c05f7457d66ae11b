"""The ``noether`` command line.

Importing it serves attrs' and cattrs' generated code from the disk cache (:mod:`noether.core.codecache`)
before any schema class is created: a third of the command line's start-up is compiling that code.

It also makes a torch-free command exit without the collector's passes over every object (see
:func:`_exit_without_collecting`).
"""

import atexit as _atexit
import gc as _gc
import sys as _sys

from noether.core.codecache import install as _install_code_cache


def _exit_without_collecting() -> None:
    """At exit, move every object to the collector's permanent generation when torch was never imported.

    Python's shutdown runs full collections over every object still alive (each module, class, function and
    typing object of attrs, cattrs and the schemas), which took ``noether check`` about 20 ms after its work
    was done. Frozen objects are skipped by those passes and their memory goes back with the process, as it
    would anyway; reference counting, ``atexit`` handlers and the flushing of the standard streams are
    unchanged. Only garbage in reference cycles is no longer finalized at exit, which Python does not promise
    either; a process that imported torch (``noether run``: data-loader workers, device state) exits as usual.
    """
    if "torch" not in _sys.modules:
        _gc.freeze()


# Registered before the code cache's handler, so that it runs after it (and after every handler a command
# registers later): atexit runs the last registered first.
_atexit.register(_exit_without_collecting)
_install_code_cache()
