"""Config classes of the example plugin: frozen attrs classes, no torch."""

from typing import Annotated, Literal

import attrs

from noether.core.schemas import (
    BaseTrainerConfig,
    CallBackBaseConfig,
    DatasetBaseConfig,
    Gt,
    ModelBaseConfig,
    PositiveInt,
    ScheduleBaseConfig,
    Schema,
)


@attrs.frozen(kw_only=True)
class ResidualMLPConfig(ModelBaseConfig):
    """An MLP of ``blocks`` residual blocks of width ``width``."""

    input_dim: PositiveInt
    output_dim: PositiveInt
    width: PositiveInt = 32
    blocks: PositiveInt = 2


@attrs.frozen(kw_only=True)
class SineDatasetConfig(DatasetBaseConfig):
    """``size`` samples of ``y = sin(a x + b)``."""

    size: PositiveInt = 256
    a: float = 3.0
    b: float = 0.5
    seed: int = 0


@attrs.frozen(kw_only=True)
class GradientNormCallbackConfig(CallBackBaseConfig):
    """Logs ``gradient/norm`` every n updates."""

    name: Literal["GradientNormCallback"] = "GradientNormCallback"  # type: ignore[assignment]


@attrs.frozen(kw_only=True)
class ExponentialDecayScheduleConfig(ScheduleBaseConfig):
    """``start_value * rate ** (step / total)``."""

    kind: Literal["noether_example_plugin.ExponentialDecaySchedule"] = (
        "noether_example_plugin.ExponentialDecaySchedule"
    )
    start_value: Annotated[float, Gt(0.0)] = 1.0
    rate: Annotated[float, Gt(0.0)] = 0.01


@attrs.frozen(kw_only=True)
class MinMaxNormalizerConfig(Schema):
    """Maps ``[min, max]`` to ``[0, 1]``."""

    kind: Literal["noether_example_plugin.MinMaxNormalizer"] = "noether_example_plugin.MinMaxNormalizer"
    min: float
    max: float

    def _check(self):  # type: ignore[no-untyped-def]
        if self.max <= self.min:
            yield "max", f"must be greater than min={self.min}"


@attrs.frozen(kw_only=True)
class WeightedMSETrainerConfig(BaseTrainerConfig):
    """Mean squared error, each target weighted."""

    kind: str = "noether_example_plugin.WeightedMSETrainer"
    weights: dict[str, float] = attrs.field(factory=dict)
