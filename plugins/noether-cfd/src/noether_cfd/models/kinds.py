"""Torch-free registration of the CFD model kinds (config classes and ``module:attr`` component paths)."""

from typing import Any

_P = "noether_cfd"
#: ``(kind suffix, config "module:Class", component "module:Class")``; modules are imported on first use.
_MODELS = (
    ("AbUpt", "abupt", "AbUpt"),
    ("Upt", "upt", "Upt"),
    ("Transolver", "transolver", "Transolver"),
    ("TransolverPlusPlus", "transolver", "TransolverPlusPlus"),
    ("RopeTransformer", "rope_transformer", "RopeTransformer"),
)


def register(register: Any) -> None:
    """Register every CFD model kind with the registry's ``register`` callable."""
    for kind, module, component in _MODELS:
        register(
            "model",
            f"{_P}.{kind}",
            config=f"{_P}.models.schemas:{kind}Config",
            component=f"{_P}.models.{module}:{component}",
        )
