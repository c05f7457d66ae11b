"""The ``noether`` command line."""
