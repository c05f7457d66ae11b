"""The airfoil example's dataset and models, registered as a built-in plugin (torch-free).

Configs are named by ``"module:Class"``: validating a config that does not use the example imports nothing of it.
"""

from __future__ import annotations

from noether.core.registry.hookspecs import RegisterFunction, hookimpl

_PACKAGE = "noether.data.airfoil"
#: ``(family, name, module:Config, module:Component)``; the kind is ``noether.data.airfoil.<name>``.
_KINDS = (
    ("dataset", "AirfoilDataset", "schemas:AirfoilDatasetConfig", "dataset:AirfoilDataset"),
    ("model", "AirfoilTransformer", "schemas:AirfoilTransformerConfig", "models:AirfoilTransformer"),
    ("model", "AirfoilMLP", "schemas:AirfoilMLPConfig", "models:AirfoilMLP"),
)


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the example's kinds under ``noether.data.airfoil.<Name>`` and the short name."""
    for family, name, config_ref, component_ref in _KINDS:
        register(family, f"{_PACKAGE}.{name}", config=f"{_PACKAGE}.{config_ref}",
                 component=f"{_PACKAGE}.{component_ref}", aliases=(name,))
