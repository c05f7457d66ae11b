"""The base class of every Noether model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from noether.core.schemas.models import ModelBaseConfig


class Model(torch.nn.Module):
    """A ``torch.nn.Module`` built from its config: ``Model(config, **dependencies)``.

    Subclasses build their layers in ``__init__`` and implement ``forward``; the trainer calls
    ``model(**{key: batch[key] for key in forward_properties})``. ``is_frozen`` in the config freezes every
    parameter: it gets no gradient and no optimizer.
    """

    def __init__(self, config: ModelBaseConfig, **_: Any) -> None:
        super().__init__()
        self.config = config
        self.name = config.name

    @property
    def is_frozen(self) -> bool:
        """Whether this model's parameters are frozen."""
        return bool(self.config.is_frozen)

    def apply_freeze(self) -> None:
        """Turn off gradients when the config says the model is frozen (called after initializers)."""
        if self.is_frozen:
            for p in self.parameters():
                p.requires_grad_(False)

    def leaf_models(self, prefix: str | None = None) -> Iterator[tuple[str, Model]]:
        """``(file name, model)`` for every model that owns its own weights file and optimizer."""
        yield (prefix or self.name), self

    @property
    def device(self) -> torch.device:
        """The device of the first parameter (CPU for a model without parameters)."""
        for p in self.parameters():
            return p.device
        return torch.device("cpu")
