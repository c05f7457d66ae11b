"""MLflow experiment tracker for Noether.

Select it in a config with ``tracker: {kind: noether_mlflow.MLflowTracker}``. Importing this package is cheap:
the tracker (and with it mlflow) is imported only when a run builds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from noether_mlflow.schema import MLflowTrackerSchema
    from noether_mlflow.tracker import MLflowTracker

__all__ = ["MLflowTracker", "MLflowTrackerSchema", "__version__"]

_LAZY = {"MLflowTracker": "noether_mlflow.tracker", "MLflowTrackerSchema": "noether_mlflow.schema"}


def __getattr__(name: str) -> Any:
    # Lazy, so that the kind string `noether_mlflow.MLflowTracker` also works as a class path without making
    # `import noether_mlflow` pay for importing mlflow.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'noether_mlflow' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
