"""The model kinds this package provides, registered as a built-in plugin (torch-free)."""

from __future__ import annotations

from noether.core.registry.hookspecs import RegisterFunction, hookimpl
from noether.core.schemas import models


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the generic models under ``noether.core.models.<Name>`` and the short name."""
    register("model", "noether.core.models.MLP", config=models.MLPConfig,
             component="noether.core.models.mlp:MLP", aliases=("MLP",))
    register("model", "noether.core.models.CompositeModel", config=models.CompositeModelConfig,
             component="noether.core.models.composite:CompositeModel", aliases=("CompositeModel",))
