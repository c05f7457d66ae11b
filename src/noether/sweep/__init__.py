"""Sweeps: many runs of one config, one per point of a grid or a random search (``noether sweep``).

Modules: :mod:`~noether.sweep.space` (which words vary, the points), :mod:`~noether.sweep.index` (the sweep
directory and ``sweep.json``), :mod:`~noether.sweep.local` (points run one after another),
:mod:`~noether.sweep.compare` (the table of ``noether compare``). Importing this package does not import torch.
"""
