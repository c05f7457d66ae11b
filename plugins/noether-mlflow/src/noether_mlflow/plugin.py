"""The plugin's registration module, named by the ``noether.plugins`` entry point.

Noether imports it whenever it discovers plugins (``noether check``, ``noether plugins``, every run), so it
names the schema and the tracker by ``"module:attr"`` strings and imports neither mlflow nor torch.
"""

from __future__ import annotations

from noether.core.registry.hookspecs import RegisterFunction, hookimpl

#: The kind a config selects this tracker with.
KIND = "noether_mlflow.MLflowTracker"


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the MLflow tracker."""
    register(
        "tracker",
        KIND,
        config="noether_mlflow.schema:MLflowTrackerSchema",
        component="noether_mlflow.tracker:MLflowTracker",
        summary="MLflow: params, metrics (step = update) and the run summary, to a local store or a server",
    )
