"""The module the ``noether.plugins`` entry point names: registers every CFD kind, importing no torch.

Each sub-package lists its own kinds in a torch-free ``kinds`` module; this hook only forwards to them.
"""

from typing import Any

from noether import hookimpl
from noether_cfd.data import kinds as data_kinds
from noether_cfd.metrics import kinds as metric_kinds
from noether_cfd.models import kinds as model_kinds
from noether_cfd.pipeline import kinds as pipeline_kinds
from noether_cfd.training import kinds as training_kinds


@hookimpl
def noether_register_components(register: Any) -> None:
    """Register the CFD plugin's models, datasets, pipeline parts and metric callbacks."""
    model_kinds.register(register)
    data_kinds.register(register)
    metric_kinds.register(register)
    pipeline_kinds.register(register)
    training_kinds.register(register)


@hookimpl
def noether_add_commands(subparsers: Any) -> None:
    """Add ``noether predict`` (torch is imported only when it runs)."""
    from noether_cfd.cli import add_commands

    add_commands(subparsers)
