"""Modifiers that give one named parameter its own learning-rate scale or weight decay (no torch import)."""

from __future__ import annotations

from typing import Any, ClassVar

from noether.core.schemas.optimizers import ParamGroupModifierConfig

_MODULE = "noether.core.optimizer.param_group_modifiers"


class ParamGroupModifier:
    """Sets one property (``lr_scale`` or ``weight_decay``) of the parameter named exactly ``config.name``."""

    #: The param-group key this modifier sets.
    property_name: ClassVar[str] = ""

    def __init__(self, config: ParamGroupModifierConfig) -> None:
        self.config = config
        self.name = config.name
        self.value = self._value(config)

    def _value(self, config: ParamGroupModifierConfig) -> float:
        raise NotImplementedError

    def get_properties(self, name: str, param: Any = None) -> dict[str, float] | None:
        """``{property: value}`` for the parameter this modifier names, ``None`` for every other one."""
        return {self.property_name: self.value} if name == self.name else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, {self.property_name}={self.value!r})"


class LrScaleByNameModifier(ParamGroupModifier):
    """Multiplies the learning rate of one parameter by ``scale`` (several scales of one name multiply)."""

    property_name = "lr_scale"

    def _value(self, config: ParamGroupModifierConfig) -> float:
        if config.scale is None:
            raise ValueError(f"LrScaleByNameModifier for {config.name!r} needs 'scale'")
        return float(config.scale)


class WeightDecayByNameModifier(ParamGroupModifier):
    """Gives one parameter its own weight decay; it overrides the bias / 1-D exclusion (0 excludes it)."""

    property_name = "weight_decay"

    def _value(self, config: ParamGroupModifierConfig) -> float:
        if config.value is None:
            raise ValueError(f"WeightDecayByNameModifier for {config.name!r} needs 'value'")
        return float(config.value)


def build_modifier(config: ParamGroupModifierConfig) -> ParamGroupModifier:
    """The modifier for ``config``; without a ``kind``, ``scale`` means lr scale, ``value`` weight decay."""
    if config.kind is None:
        if config.scale is not None:
            return LrScaleByNameModifier(config)
        return WeightDecayByNameModifier(config)
    from noether.core.registry import get_registry

    modifier = get_registry().build("param_group_modifier", config)
    if not hasattr(modifier, "get_properties"):
        raise TypeError(f"param group modifier '{config.kind}' has no get_properties(name, param)")
    return modifier
