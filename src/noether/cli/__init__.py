"""The ``noether`` command line.

Importing it serves attrs' and cattrs' generated code from the disk cache (:mod:`noether.core.codecache`)
before any schema class is created: a third of the command line's start-up is compiling that code.
"""

from noether.core.codecache import install as _install_code_cache

_install_code_cache()
