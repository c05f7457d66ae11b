"""Model configs."""


from collections.abc import Iterator
from typing import Annotated, Literal

import attrs

from noether.core.schemas._base import OpenUnion, Schema
from noether.core.schemas._constraints import Between, NonBlankStr, PositiveInt
from noether.core.schemas.optimizers import OptimizerConfig
from noether.core.schemas.unions import AnyInitializer


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
    forward_properties: list[NonBlankStr] | None = attrs.field(factory=list)

    @property
    def config_kind(self) -> str:
        """The fully qualified import path of this config class."""
        return f"{type(self).__module__}.{type(self).__qualname__}"


#: Any model config, selected by ``kind``.
AnyModelConfig = Annotated[ModelBaseConfig, OpenUnion("model", base=ModelBaseConfig)]


@attrs.frozen(kw_only=True)
class MLPConfig(ModelBaseConfig):
    """A multi-layer perceptron; several forward properties are concatenated along the last dimension."""

    kind: NonBlankStr = "noether.core.models.MLP"
    #: Input features (after concatenating the forward properties).
    input_dim: PositiveInt
    #: Width of the hidden layers.
    hidden_dim: PositiveInt = 64
    #: Output features.
    output_dim: PositiveInt
    #: Number of hidden layers.
    depth: PositiveInt = 2
    #: Activation between layers.
    activation: Literal["gelu", "relu", "silu", "tanh"] = "gelu"
    #: Dropout probability after each hidden activation.
    dropout: Annotated[float, Between(0.0, 1.0, open_high=True)] = 0.0
    #: When set, the output is split into a dict with these keys (sizes in ``output_splits``).
    output_names: list[NonBlankStr] | None = None
    #: Sizes of the named outputs; must sum to ``output_dim``.
    output_splits: list[PositiveInt] | None = None

    def _check(self) -> Iterator[tuple[str, str]]:
        if (self.output_names is None) != (self.output_splits is None):
            yield "output_splits", "'output_names' and 'output_splits' must be given together"
        elif self.output_names is not None and self.output_splits is not None:
            if len(self.output_names) != len(self.output_splits):
                yield "output_splits", "needs one size per name in 'output_names'"
            elif sum(self.output_splits) != self.output_dim:
                yield "output_splits", f"sizes sum to {sum(self.output_splits)}, expected output_dim={self.output_dim}"


@attrs.frozen(kw_only=True)
class CompositeModelConfig(ModelBaseConfig):
    """Named submodels, each with its own optimizer or frozen; the default forward chains them in order."""

    kind: NonBlankStr = "noether.core.models.CompositeModel"
    #: Submodels by attribute name, in forward order.
    models: dict[NonBlankStr, AnyModelConfig]

    def _check(self) -> Iterator[tuple[str, str]]:
        if not self.models:
            yield "models", "a composite model needs at least one submodel"
        names = [m.name for m in self.models.values()]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            yield "models", f"submodel names must be unique, repeated: {', '.join(duplicates)}"
