"""Torch-free registration of the CFD metrics kinds (config classes and ``module:attr`` component paths)."""

from typing import Any


def register(register: Any) -> None:
    """Register every CFD metrics kind with the registry's ``register`` callable."""
    register("callback", "CfdMetricsCallback", config="noether_cfd.metrics.schemas:CfdMetricsCallbackConfig",
             component="noether_cfd.metrics.callback:CfdMetricsCallback", aliases=("noether_cfd.CfdMetricsCallback",))
