"""Optimizer and parameter-group modifier configs."""


from collections.abc import Iterator
from typing import Any, ClassVar

import attrs

from noether.core.schemas._base import Schema
from noether.core.schemas._constraints import NonBlankStr, NonNegativeFloat, PositiveFloat
from noether.core.schemas._types import PlainValue
from noether.core.schemas.unions import AnyScheduleConfig

#: The keys of an OptimizerConfig that configure Noether's optimizer wrapper rather than torch's optimizer.
OPTIM_WRAPPER_KEYS = (
    "clip_grad_value",
    "clip_grad_norm",
    "param_group_modifiers_config",
    "exclude_bias_from_weight_decay",
    "exclude_normalization_params_from_weight_decay",
    "weight_decay_schedule",
    "schedule_config",
)


@attrs.frozen(kw_only=True)
class ParamGroupModifierConfig(Schema):
    """Changes the learning-rate scale or the weight decay of one parameter, named exactly."""

    #: ``noether.core.optimizer.param_group_modifiers.LrScaleByNameModifier`` or ``...WeightDecayByNameModifier``.
    kind: NonBlankStr | None = None
    #: Learning-rate factor (> 0); only for LrScaleByNameModifier.
    scale: PositiveFloat | None = None
    #: Weight decay (>= 0; 0 excludes the parameter); only for WeightDecayByNameModifier.
    value: NonNegativeFloat | None = None
    #: Exact parameter name as in ``model.named_parameters()`` (e.g. ``backbone.cls_token``).
    name: NonBlankStr

    def _check(self) -> Iterator[tuple[str, str]]:
        if self.scale is not None and self.value is not None:
            yield "value", "Provide either 'scale' or 'value', but not both."
            return
        if self.scale is None and self.value is None:
            yield "scale", "Either 'scale' or 'value' must be provided."
            return
        kind = self.kind or ""
        if kind.endswith("LrScaleByNameModifier") and self.value is not None:
            yield "value", "LrScaleByNameModifier takes 'scale', not 'value'"
        if kind.endswith("WeightDecayByNameModifier") and self.scale is not None:
            yield "scale", "WeightDecayByNameModifier takes 'value', not 'scale'"


@attrs.frozen(kw_only=True)
class OptimizerConfig(Schema):
    """A torch optimizer (by class path) plus Noether's parameter groups, clipping and schedules.

    Any further key (``betas``, ``eps``, ``momentum``, ...) is passed to the optimizer's constructor; it is
    checked against that constructor's signature, so a typo is an error instead of being ignored.
    """

    __extra_field__: ClassVar[str | None] = "extra_args"

    #: Class path of the optimizer, e.g. ``torch.optim.AdamW`` or ``noether.core.optimizer.Lion``.
    kind: NonBlankStr | None = None
    #: Learning rate (> 0); the peak of warm-up schedules that leave ``max_value`` unset.
    lr: PositiveFloat | None = None
    #: Weight decay (>= 0).
    weight_decay: NonNegativeFloat = 0.0
    #: Clip every gradient element to [-v, v] before the step.
    clip_grad_value: NonNegativeFloat | None = None
    #: Clip the global gradient norm to this value before the step.
    clip_grad_norm: NonNegativeFloat | None = None
    #: Per-parameter learning-rate scales and weight decays.
    param_group_modifiers_config: list[ParamGroupModifierConfig] | None = None
    #: Exclude parameters named ``*.bias`` from weight decay.
    exclude_bias_from_weight_decay: bool = True
    #: Exclude normalization weights (every parameter with ndim <= 1) from weight decay.
    exclude_normalization_params_from_weight_decay: bool = True
    #: Schedule of the weight decay (applied to every group that has weight decay).
    weight_decay_schedule: AnyScheduleConfig | None = None
    #: Schedule of the learning rate (absolute values, scaled per group by its lr scale).
    schedule_config: AnyScheduleConfig | None = None
    #: Further keyword arguments for the optimizer's constructor (written flat in YAML); plain data only.
    extra_args: dict[str, PlainValue] = attrs.field(factory=dict)

    def return_optim_wrapper_args(self) -> dict[str, Any]:
        """The seven wrapper keys as a plain dict (what Noether's optimizer wrapper consumes)."""
        data = attrs.asdict(self, recurse=True)  # plain dicts without the converter: schemas stay below it
        return {key: data[key] for key in OPTIM_WRAPPER_KEYS}

    def torch_kwargs(self) -> dict[str, Any]:
        """The keyword arguments for the torch optimizer's constructor."""
        kwargs: dict[str, Any] = {"weight_decay": self.weight_decay, **self.extra_args}
        if self.lr is not None:
            kwargs["lr"] = self.lr
        return kwargs
