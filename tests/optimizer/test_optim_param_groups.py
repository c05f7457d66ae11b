"""Param groups of a small model: weight-decay exclusions, modifiers, names."""

from __future__ import annotations

import pytest
import torch

from noether.core.optimizer.param_group_modifiers import (
    LrScaleByNameModifier,
    WeightDecayByNameModifier,
    build_modifier,
)
from noether.core.optimizer.param_groups import build_param_groups, group_name, short_float
from noether.core.schemas.optimizers import ParamGroupModifierConfig


class Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cls_token = torch.nn.Parameter(torch.zeros(1, 1, 4))
        self.fc = torch.nn.Linear(3, 4)
        self.norm = torch.nn.LayerNorm(4)
        self.head = torch.nn.Linear(4, 2, bias=False)


def lr(name: str, scale: float) -> LrScaleByNameModifier:
    return LrScaleByNameModifier(ParamGroupModifierConfig(name=name, scale=scale))


def wd(name: str, value: float) -> WeightDecayByNameModifier:
    return WeightDecayByNameModifier(ParamGroupModifierConfig(name=name, value=value))


def layout(**kwargs: object) -> dict[str, list[str]]:
    groups = build_param_groups(Tiny().named_parameters(), **kwargs)  # type: ignore[arg-type]
    return {g.name: g.param_names for g in groups}


def test_bias_and_1d_params_get_no_weight_decay() -> None:
    assert layout() == {
        "default": ["cls_token", "fc.weight", "head.weight"],
        "weight_decay=0": ["fc.bias", "norm.weight", "norm.bias"],
    }


def test_exclusion_flags() -> None:
    assert layout(exclude_normalization_params_from_weight_decay=False) == {
        "default": ["cls_token", "fc.weight", "norm.weight", "head.weight"],
        "weight_decay=0": ["fc.bias", "norm.bias"],
    }
    assert layout(
        exclude_bias_from_weight_decay=False, exclude_normalization_params_from_weight_decay=False
    ) == {
        "default": ["cls_token", "fc.weight", "fc.bias", "norm.weight", "norm.bias", "head.weight"],
    }


def test_lr_scale_of_a_named_parameter() -> None:
    groups = build_param_groups(Tiny().named_parameters(), modifiers=[lr("cls_token", 0.1)])
    assert [(g.name, g.properties, g.param_names) for g in groups] == [
        ("lr_scale=1e-1", {"lr_scale": 0.1}, ["cls_token"]),
        ("default", {}, ["fc.weight", "head.weight"]),
        ("weight_decay=0", {"weight_decay": 0.0}, ["fc.bias", "norm.weight", "norm.bias"]),
    ]


def test_lr_scales_multiply_and_combine_with_exclusion() -> None:
    groups = build_param_groups(Tiny().named_parameters(), modifiers=[lr("fc.bias", 0.5), lr("fc.bias", 0.5)])
    bias = next(g for g in groups if "fc.bias" in g.param_names)
    assert bias.properties == {"weight_decay": 0.0, "lr_scale": 0.25}
    assert bias.name == "lr_scale=2.5e-1&weight_decay=0"


def test_weight_decay_modifier_overrides_exclusion() -> None:
    groups = build_param_groups(Tiny().named_parameters(), modifiers=[wd("norm.weight", 0.01)])
    norm = next(g for g in groups if "norm.weight" in g.param_names)
    assert norm.param_names == ["norm.weight"]
    assert norm.properties == {"weight_decay": 0.01}
    assert not norm.weight_decay_excluded


def test_weight_decay_modifier_zero_excludes() -> None:
    groups = build_param_groups(Tiny().named_parameters(), modifiers=[wd("head.weight", 0.0)])
    head = next(g for g in groups if "head.weight" in g.param_names)
    assert head.weight_decay_excluded
    assert head.name == "weight_decay=0"


def test_two_weight_decays_for_one_parameter_conflict() -> None:
    with pytest.raises(ValueError, match="already set"):
        build_param_groups(Tiny().named_parameters(), modifiers=[wd("fc.weight", 0.1), wd("fc.weight", 0.2)])


def test_modifier_naming_no_parameter_lists_close_names() -> None:
    with pytest.raises(ValueError, match=r"names no parameter.*close names: head\.weight"):
        build_param_groups(Tiny().named_parameters(), modifiers=[lr("head.weigth", 0.1)])


def test_without_weight_decay_support_there_are_no_exclusions() -> None:
    assert layout(weight_decay_supported=False) == {
        "default": ["cls_token", "fc.weight", "fc.bias", "norm.weight", "norm.bias", "head.weight"]
    }
    with pytest.raises(ValueError, match="no weight_decay"):
        build_param_groups(
            Tiny().named_parameters(), modifiers=[wd("fc.weight", 0.1)], weight_decay_supported=False
        )


def test_build_modifier_infers_kind_and_uses_registry() -> None:
    assert isinstance(build_modifier(ParamGroupModifierConfig(name="a", scale=2.0)), LrScaleByNameModifier)
    assert isinstance(
        build_modifier(ParamGroupModifierConfig(name="a", value=0.0)), WeightDecayByNameModifier
    )
    kind = "noether.core.optimizer.param_group_modifiers.WeightDecayByNameModifier"
    built = build_modifier(ParamGroupModifierConfig(kind=kind, name="a", value=0.5))
    assert isinstance(built, WeightDecayByNameModifier)
    assert built.get_properties("a") == {"weight_decay": 0.5}
    assert built.get_properties("b") is None


@pytest.mark.parametrize(
    ("value", "text"), [(0.0, "0"), (0.1, "1e-1"), (1.0, "1e0"), (2.5e-4, "2.5e-4"), (123.0, "1.23e2")]
)
def test_short_float(value: float, text: str) -> None:
    assert short_float(value) == text
    assert float(text) == value


def test_group_name() -> None:
    assert group_name({}) == "default"
    assert group_name({"weight_decay": 0.0, "lr_scale": 0.5}) == "lr_scale=5e-1&weight_decay=0"
