"""A model made of named submodels, each with its own optimizer or frozen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from torch import nn

from noether.core.models.base import Model
from noether.core.schemas.models import CompositeModelConfig


class CompositeModel(Model):
    """Submodels are built from ``config.models`` and stored as attributes under their keys.

    The default ``forward`` chains them in order (each receives the previous output); subclass and override
    ``forward`` for anything else. Checkpoint files are per submodel, named ``<composite>.<attribute>``.
    """

    config_class = CompositeModelConfig

    def __init__(self, config: CompositeModelConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        from noether.core.registry import get_registry

        registry = get_registry()
        self.submodels = nn.ModuleDict(
            {key: registry.build("model", sub, **kwargs) for key, sub in config.models.items()}
        )

    def forward(self, *args: Any, **inputs: Any) -> Any:
        """Chain the submodels: the first gets the batch inputs, every later one the previous output."""
        out: Any = None
        for index, model in enumerate(self.submodels.values()):
            if index == 0:
                out = model(*args, **inputs)
            elif isinstance(out, dict):
                out = model(**out)
            else:
                out = model(out)
        return out

    def apply_freeze(self) -> None:
        """Freeze the whole composite or individual submodels."""
        super().apply_freeze()
        for model in self.submodels.values():
            if isinstance(model, Model):
                model.apply_freeze()

    def leaf_models(self, prefix: str | None = None) -> Iterator[tuple[str, Model]]:
        """Every leaf submodel, named ``<composite>.<attribute>`` recursively."""
        base = prefix or self.name
        for key, model in self.submodels.items():
            if isinstance(model, Model):
                yield from model.leaf_models(f"{base}.{key}")
