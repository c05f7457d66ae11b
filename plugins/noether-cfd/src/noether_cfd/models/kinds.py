"""Torch-free registration of the CFD model kinds (config classes and ``module:attr`` component paths)."""

from typing import Any

_P = "noether_cfd"
#: ``(kind suffix, module of the component, one-line summary)``; the config is ``schemas:<suffix>Config``.
#: Modules are named as strings so that nothing is imported before a config uses the kind.
_MODELS = (
    ("AbUpt", "abupt", "AB-UPT: geometry branch, surface/volume anchor branches, chunkable queries"),
    ("Upt", "upt", "UPT: supernode pooling, latent Transformer, Perceiver decoder"),
    ("Transolver", "transolver", "Transolver: Physics-Attention over learned slices"),
    ("TransolverPlusPlus", "transolver", "Transolver++: eidetic states, adaptive temperature, Gumbel slices"),
    ("RopeTransformer", "rope_transformer", "Transformer over all points with 3-D rotary embeddings"),
)


def register(register: Any) -> None:
    """Register every CFD model kind with the registry's ``register`` callable."""
    for kind, module, summary in _MODELS:
        register(
            "model",
            f"{_P}.{kind}",
            config=f"{_P}.models.schemas:{kind}Config",
            component=f"{_P}.models.{module}:{kind}",
            summary=summary,
        )
