"""The optimizer wrapper: construction, schedules, clipping, state round trips."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch

from noether.core.optimizer import OptimizerWrapper
from noether.core.schemas.optimizers import OptimizerConfig, ParamGroupModifierConfig
from noether.core.schemas.schedules import (
    ConstantScheduleConfig,
    LinearIncreasingScheduleConfig,
    LinearWarmupCosineDecayScheduleConfig,
)


class Net(torch.nn.Module):
    a: torch.nn.Linear
    b: torch.nn.Linear

    def __init__(self, order: str = "ab") -> None:
        super().__init__()
        torch.manual_seed(0)
        layers = {"a": torch.nn.Linear(3, 4), "b": torch.nn.Linear(4, 2)}
        for key in order:  # registration order decides named_parameters() order
            setattr(self, key, layers[key])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.tanh(self.a(x)))


def config(**kwargs: Any) -> OptimizerConfig:
    kwargs.setdefault("kind", "torch.optim.SGD")
    kwargs.setdefault("lr", 0.1)
    return OptimizerConfig(**kwargs)


def test_torch_arguments_are_passed_and_checked() -> None:
    wrapper = OptimizerWrapper(
        config(kind="torch.optim.AdamW", extra_args={"betas": (0.8, 0.9), "eps": 1e-6}), Net()
    )
    assert isinstance(wrapper.optimizer, torch.optim.AdamW)
    assert wrapper.optimizer.defaults["betas"] == (0.8, 0.9)
    assert wrapper.optimizer.defaults["eps"] == 1e-6
    with pytest.raises(ValueError, match=r"no argument 'momentun'; did you mean 'momentum'\?.*accepted: "):
        OptimizerWrapper(config(extra_args={"momentun": 0.9}), Net())


def test_lion_by_kind() -> None:
    from noether.core.optimizer.lion import Lion

    wrapper = OptimizerWrapper(
        config(kind="noether.core.optimizer.Lion", extra_args={"caution": True}), Net()
    )
    assert isinstance(wrapper.optimizer, Lion)
    assert wrapper.optimizer.defaults["caution"] is True


def test_missing_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="no 'kind'"):
        OptimizerWrapper(OptimizerConfig(lr=0.1), Net())


def test_optimizer_without_weight_decay() -> None:
    wrapper = OptimizerWrapper(config(kind="torch.optim.LBFGS"), Net())
    assert [g.name for g in wrapper.groups] == ["default"]
    with pytest.raises(ValueError, match="LBFGS has no argument 'weight_decay'"):
        OptimizerWrapper(config(kind="torch.optim.LBFGS", weight_decay=0.1), Net())


def lr_scale(name: str, scale: float) -> ParamGroupModifierConfig:
    return ParamGroupModifierConfig(name=name, scale=scale)


def test_groups_lr_scale_and_weight_decay_at_construction() -> None:
    wrapper = OptimizerWrapper(
        config(weight_decay=0.05, param_group_modifiers_config=[lr_scale("b.weight", 0.5)]), Net()
    )
    assert wrapper.current_lr() == {"default": 0.1, "weight_decay=0": 0.1, "lr_scale=5e-1": 0.05}
    assert wrapper.current_wd() == {"default": 0.05, "weight_decay=0": 0.0, "lr_scale=5e-1": 0.05}
    assert wrapper.optimizer.param_groups[2]["original_lr"] == 0.1


def test_lr_schedule_is_absolute_and_scaled_per_group() -> None:
    schedule = LinearIncreasingScheduleConfig(max_value=1.0)
    wrapper = OptimizerWrapper(
        config(schedule_config=schedule, param_group_modifiers_config=[lr_scale("b.weight", 0.5)]), Net()
    )
    wrapper.schedule_step(3, 10, 5)
    assert wrapper.current_lr() == pytest.approx(
        {"default": 1 / 3, "weight_decay=0": 1 / 3, "lr_scale=5e-1": 1 / 6}
    )
    wrapper.schedule_step(9, 10, 5)
    assert wrapper.current_lr()["default"] == 1.0


def test_warmup_peak_defaults_to_lr() -> None:
    schedule = LinearWarmupCosineDecayScheduleConfig(warmup_steps=2, end_value=0.0)
    wrapper = OptimizerWrapper(config(lr=1e-3, schedule_config=schedule), Net())
    wrapper.schedule_step(2, 10, 10)
    assert wrapper.current_lr()["default"] == pytest.approx(1e-3, abs=1e-15)


def test_epoch_interval_schedule() -> None:
    schedule = LinearIncreasingScheduleConfig(max_value=1.0, interval="epoch")
    wrapper = OptimizerWrapper(config(schedule_config=schedule), Net())
    wrapper.schedule_step(5, 9, 3)
    assert wrapper.current_lr()["default"] == pytest.approx(3 / 8)


@pytest.mark.parametrize("base_wd", [0.0, 0.05])
def test_weight_decay_schedule_applies_to_groups_not_excluded(base_wd: float) -> None:
    wd_schedule = ConstantScheduleConfig(value=0.3)
    modifiers = [ParamGroupModifierConfig(name="a.bias", value=0.01)]
    wrapper = OptimizerWrapper(
        config(
            weight_decay=base_wd, weight_decay_schedule=wd_schedule, param_group_modifiers_config=modifiers
        ),
        Net(),
    )
    wrapper.schedule_step(0, 10, 10)
    # upstream left every group at 0.0 when the base weight decay was 0.0
    assert wrapper.current_wd() == {"default": 0.3, "weight_decay=1e-2": 0.3, "weight_decay=0": 0.0}


def test_weight_decay_schedule_needs_weight_decay() -> None:
    with pytest.raises(ValueError, match="weight_decay_schedule"):
        OptimizerWrapper(
            config(kind="torch.optim.Rprop", weight_decay_schedule=ConstantScheduleConfig(value=0.1)), Net()
        )


def one_param_wrapper(grad: list[float], **kwargs: Any) -> tuple[OptimizerWrapper, torch.nn.Parameter]:
    model = torch.nn.Module()
    model.w = torch.nn.Parameter(torch.zeros(len(grad), 1, dtype=torch.float64))
    wrapper = OptimizerWrapper(config(lr=1.0, **kwargs), model)
    model.w.grad = torch.tensor(grad, dtype=torch.float64).reshape(-1, 1)
    return wrapper, model.w


def test_clip_grad_value() -> None:
    wrapper, w = one_param_wrapper([3.0, -4.0, 0.1], clip_grad_value=0.5)
    assert wrapper.step()
    assert w.detach().flatten().tolist() == pytest.approx([-0.5, 0.5, -0.1], abs=1e-12)


def test_clip_grad_norm() -> None:
    wrapper, w = one_param_wrapper([3.0, -4.0], clip_grad_norm=1.0)
    wrapper.step()
    coef = 1.0 / (5.0 + 1e-6)  # torch's clip_grad_norm_ divides by (norm + 1e-6)
    assert w.detach().flatten().tolist() == pytest.approx([-3.0 * coef, 4.0 * coef], abs=1e-12)


def test_clip_value_then_norm() -> None:
    wrapper, w = one_param_wrapper([3.0, -4.0], clip_grad_value=2.0, clip_grad_norm=1.0)
    wrapper.step()
    norm = 8.0**0.5  # after value clipping the gradient is [2, -2]
    coef = 1.0 / (norm + 1e-6)
    assert w.detach().flatten().tolist() == pytest.approx([-2.0 * coef, 2.0 * coef], abs=1e-12)


def test_clipping_with_grad_scaler_unscales_first() -> None:
    model = torch.nn.Module()
    model.w = torch.nn.Parameter(torch.zeros(2))
    wrapper = OptimizerWrapper(config(lr=1.0, clip_grad_value=0.5), model)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    loss = (model.w * torch.tensor([3.0, 0.25])).sum()
    scaler.scale(loss).backward()
    assert wrapper.step(scaler)
    assert model.w.detach().tolist() == pytest.approx([-0.5, -0.25])


def test_step_without_gradients_is_skipped() -> None:
    wrapper, w = one_param_wrapper([1.0])
    wrapper.zero_grad()
    assert w.grad is None
    assert not wrapper.step()
    assert w.detach().flatten().tolist() == [0.0]


def train(net: Net, wrapper: OptimizerWrapper, updates: range, total: int) -> None:
    for update in updates:
        gen = torch.Generator().manual_seed(update)
        x = torch.randn(8, 3, generator=gen)
        wrapper.schedule_step(update, total, 3)
        loss = net(x).pow(2).mean()
        loss.backward()
        wrapper.step()
        wrapper.zero_grad()


def adamw_config() -> OptimizerConfig:
    return config(
        kind="torch.optim.AdamW",
        lr=1e-2,
        weight_decay=0.1,
        schedule_config=LinearWarmupCosineDecayScheduleConfig(warmup_steps=2, end_value=0.0),
        param_group_modifiers_config=[lr_scale("b.weight", 0.5)],
    )


@pytest.mark.parametrize("order", ["ab", "ba"])
def test_resume_continues_exactly_and_matches_by_name(order: str) -> None:
    reference = Net()
    ref_wrapper = OptimizerWrapper(adamw_config(), reference)
    train(reference, ref_wrapper, range(6), 6)

    first = Net()
    first_wrapper = OptimizerWrapper(adamw_config(), first)
    train(first, first_wrapper, range(3), 6)
    saved_model = copy.deepcopy(first.state_dict())
    saved_optim = copy.deepcopy(first_wrapper.state_dict())

    resumed = Net(order)  # same names, possibly another parameter order
    resumed.load_state_dict(saved_model)
    resumed_wrapper = OptimizerWrapper(adamw_config(), resumed)
    resumed_wrapper.load_state_dict(saved_optim)
    assert resumed_wrapper.position == (2, 6, 3)
    assert resumed_wrapper.current_lr() == first_wrapper.current_lr()
    train(resumed, resumed_wrapper, range(3, 6), 6)
    for name, value in reference.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[name]), name


def test_state_of_another_model_is_rejected_unless_not_strict() -> None:
    saved = OptimizerWrapper(adamw_config(), Net()).state_dict()
    saved["param_idx_to_name"] = {k: v.replace("a.", "x.") for k, v in saved["param_idx_to_name"].items()}
    wrapper = OptimizerWrapper(adamw_config(), Net())
    with pytest.raises(
        ValueError, match=r"missing from the saved state: a\.bias, a\.weight; not in the model"
    ):
        wrapper.load_state_dict(saved)
    wrapper.load_state_dict(saved, strict=False)


def test_plain_torch_state_dict_loads() -> None:
    wrapper = OptimizerWrapper(adamw_config(), Net())
    other = OptimizerWrapper(adamw_config(), Net())
    other.load_state_dict(wrapper.optimizer.state_dict())
    assert other.current_lr() == wrapper.current_lr()
