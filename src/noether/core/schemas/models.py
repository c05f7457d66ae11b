"""Model configs."""

from __future__ import annotations

from typing import Annotated

import attrs

from noether.core.schemas._base import OpenUnion, Schema
from noether.core.schemas._constraints import NonBlankStr
from noether.core.schemas.initializers import AnyInitializer
from noether.core.schemas.optimizers import OptimizerConfig


@attrs.frozen(kw_only=True)
class ModelBaseConfig(Schema):
    """A model: its kind, a unique name, its optimizer and initializers."""

    #: Registered kind or class path of the model.
    kind: NonBlankStr
    #: Unique name; used in checkpoint file names.
    name: NonBlankStr
    #: Optimizer of this model; ``None`` for inference-only or frozen models.
    optimizer_config: OptimizerConfig | None = None
    #: Initializers applied after construction, in order.
    initializers: list[AnyInitializer] | None = None
    #: Freeze every parameter (no gradients, no optimizer step, skipped by weight-saving when asked).
    is_frozen: bool | None = False
    #: Batch keys passed as keyword arguments to ``forward`` (overrides the trainer's list for this model).
    forward_properties: list[str] | None = attrs.field(factory=list)

    @property
    def config_kind(self) -> str:
        """The fully qualified import path of this config class."""
        return f"{type(self).__module__}.{type(self).__qualname__}"


#: Any model config, selected by ``kind``.
AnyModelConfig = Annotated[ModelBaseConfig, OpenUnion("model", base=ModelBaseConfig)]
