"""The optimizer wrapper: a torch optimizer over Noether's param groups, with clipping and schedules."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import Any

import torch

from noether.core.optimizer.curves import optimizer_schedules
from noether.core.optimizer.param_group_modifiers import build_modifier
from noether.core.optimizer.param_groups import ParamGroup, build_param_groups
from noether.core.optimizer.signatures import unknown_arg_message
from noether.core.schedules import scheduled_value
from noether.core.schemas.optimizers import OptimizerConfig


def accepted_arguments(optimizer_class: type) -> frozenset[str] | None:
    """The keyword names the constructor takes (``params`` excluded); ``None`` if it takes ``**kwargs``."""
    parameters = inspect.signature(optimizer_class).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return None
    return frozenset(name for name in parameters if name not in ("self", "params"))


def checked_kwargs(kind: str, accepted: frozenset[str] | None, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``kwargs`` for the constructor, after rejecting the names it does not take.

    A weight decay of 0.0 (the config's default) is dropped for optimizers without one (LBFGS, Rprop,
    SparseAdam), so they can be configured without writing anything special.
    """
    result = dict(kwargs)
    if accepted is None:
        return result
    if "weight_decay" not in accepted and result.get("weight_decay") == 0.0:
        del result["weight_decay"]
    unknown = [name for name in result if name not in accepted]
    if unknown:
        raise ValueError("; ".join(unknown_arg_message(kind, name, accepted) for name in unknown))
    return result


def _set(group: dict[str, Any], key: str, value: float) -> None:
    # Capturable/fused optimizers may hold hyperparameters as tensors, which must be updated in place.
    current = group.get(key)
    if isinstance(current, torch.Tensor):
        current.fill_(value)
    else:
        group[key] = value


class OptimizerWrapper:
    """Builds the torch optimizer named by ``config.kind`` over the param groups of ``model``.

    Per update, :meth:`schedule_step` sets every group's learning rate (schedule value times the group's
    ``lr_scale``) and weight decay; :meth:`step` clips (value, then norm) and steps.
    """

    def __init__(self, config: OptimizerConfig, model: torch.nn.Module) -> None:
        from noether.core.registry import get_registry

        if config.kind is None:
            raise ValueError("the optimizer config has no 'kind'; set it, e.g. 'torch.optim.AdamW'")
        self.config = config
        optimizer_class = get_registry().resolve("optimizer", config.kind).component_class()
        accepted = accepted_arguments(optimizer_class)
        kwargs = checked_kwargs(config.kind, accepted, config.torch_kwargs())
        self.weight_decay_supported = accepted is None or "weight_decay" in accepted
        if config.weight_decay_schedule is not None and not self.weight_decay_supported:
            raise ValueError(f"{config.kind} has no weight_decay, so weight_decay_schedule cannot be applied")
        # Schedules first: a config mistake there should surface before any tensor work.
        self.lr_schedule, self.wd_schedule = optimizer_schedules(config)
        modifiers = [build_modifier(c) for c in config.param_group_modifiers_config or ()]
        self.groups: list[ParamGroup] = build_param_groups(
            model.named_parameters(),
            exclude_bias_from_weight_decay=config.exclude_bias_from_weight_decay,
            exclude_normalization_params_from_weight_decay=config.exclude_normalization_params_from_weight_decay,
            modifiers=modifiers,
            weight_decay_supported=self.weight_decay_supported,
        )
        self.optimizer: torch.optim.Optimizer = optimizer_class([g.to_torch() for g in self.groups], **kwargs)
        for group in self.optimizer.param_groups:
            if "lr_scale" in group:
                group["original_lr"] = group["lr"]
                group["lr"] = group["lr"] * group["lr_scale"]
        # Upstream only scheduled groups whose initial weight decay was non-zero, so a wd schedule did nothing
        # with the default weight_decay=0.0; every group not pinned to 0 follows the schedule here.
        self.wd_scheduled = [not g.weight_decay_excluded for g in self.groups]
        #: ``(update, total_updates, updates_per_epoch)`` of the last :meth:`schedule_step`.
        self.position: tuple[int, int, int] | None = None

    # -- per update ----------------------------------------------------------------------------------------
    def schedule_step(self, update: int, total_updates: int, updates_per_epoch: int) -> None:
        """Set the learning rate and weight decay of every group for (0-based) update ``update``."""
        if self.lr_schedule is not None:
            lr = scheduled_value(
                self.lr_schedule, self.lr_schedule.config.interval, update, total_updates, updates_per_epoch
            )
            for group in self.optimizer.param_groups:
                _set(group, "lr", lr * group.get("lr_scale", 1.0))
        if self.wd_schedule is not None:
            wd = scheduled_value(
                self.wd_schedule, self.wd_schedule.config.interval, update, total_updates, updates_per_epoch
            )
            for group, scheduled in zip(self.optimizer.param_groups, self.wd_scheduled, strict=True):
                if scheduled:
                    _set(group, "weight_decay", wd)
        self.position = (update, total_updates, updates_per_epoch)

    def parameters(self) -> list[torch.Tensor]:
        """Every parameter the optimizer holds, in param-group order."""
        return [p for group in self.optimizer.param_groups for p in group["params"]]

    def step(self, grad_scaler: torch.amp.GradScaler | None = None) -> bool:
        """Clip and step; returns ``False`` (and does nothing) when no parameter has a gradient."""
        if self.config.clip_grad_value is not None or self.config.clip_grad_norm is not None:
            params = [p for p in self.parameters() if p.grad is not None]
            if not params:
                return False
            if grad_scaler is not None:
                # Clipping thresholds are in true gradient units, so the loss scale must be removed first.
                grad_scaler.unscale_(self.optimizer)
            if self.config.clip_grad_value is not None:
                torch.nn.utils.clip_grad_value_(params, self.config.clip_grad_value)
            if self.config.clip_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(params, self.config.clip_grad_norm)
        elif not _any_gradient(self.optimizer.param_groups):
            return False
        if grad_scaler is not None:
            grad_scaler.step(self.optimizer)
            grad_scaler.update()
        else:
            self.optimizer.step()
        return True

    def zero_grad(self) -> None:
        """Drop every gradient (``set_to_none``: no memory traffic, and "no gradient" stays detectable)."""
        self.optimizer.zero_grad(set_to_none=True)

    # -- inspection ----------------------------------------------------------------------------------------
    def current_lr(self) -> dict[str, float]:
        """Learning rate per group name."""
        return {g["name"]: float(g["lr"]) for g in self.optimizer.param_groups}

    def current_wd(self) -> dict[str, float]:
        """Weight decay per group name (0.0 for optimizers without weight decay)."""
        return {g["name"]: float(g.get("weight_decay", 0.0)) for g in self.optimizer.param_groups}

    @property
    def param_idx_to_name(self) -> dict[int, str]:
        """torch's state-dict index of every parameter -> its name in the model."""
        names = [name for group in self.groups for name in group.param_names]
        return dict(enumerate(names))

    # -- state ---------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The torch optimizer state, the index -> name map and the schedule position."""
        return {
            "optimizer": self.optimizer.state_dict(),
            "param_idx_to_name": self.param_idx_to_name,
            "schedule_position": self.position,
        }

    def load_state_dict(self, state_dict: Mapping[str, Any], *, strict: bool = True) -> None:
        """Load a state from :meth:`state_dict`, matching parameters by name rather than by position.

        With ``strict`` a parameter present on only one side is an error; otherwise missing ones start with
        fresh state and extra ones are ignored. A plain torch optimizer state dict is loaded as is.
        """
        if "param_idx_to_name" not in state_dict:
            self.optimizer.load_state_dict(dict(state_dict))
            return
        self.optimizer.load_state_dict(self._remap(state_dict, strict))
        position = state_dict.get("schedule_position")
        self.position = None if position is None else (int(position[0]), int(position[1]), int(position[2]))

    def _remap(self, state_dict: Mapping[str, Any], strict: bool) -> dict[str, Any]:
        saved = state_dict["optimizer"]
        saved_names = {int(idx): name for idx, name in state_dict["param_idx_to_name"].items()}
        current = {name: idx for idx, name in self.param_idx_to_name.items()}
        _check_names(set(saved_names.values()), set(current), strict)
        state = {}
        for idx, param_state in saved["state"].items():
            name = saved_names[int(idx)]
            if name in current:
                state[current[name]] = param_state
        saved_groups = {frozenset(saved_names[int(i)] for i in g["params"]): g for g in saved["param_groups"]}
        groups = []
        for group, torch_group in zip(self.groups, self.optimizer.param_groups, strict=True):
            # Hyperparameters come from the saved group with exactly these parameters (an exact resume);
            # if the grouping changed, the current ones stay and the next schedule_step sets lr and wd.
            source = saved_groups.get(frozenset(group.param_names), torch_group)
            merged = {k: v for k, v in source.items() if k not in ("params", "name", "lr_scale")}
            merged.update(name=group.name, params=[current[n] for n in group.param_names])
            if "lr_scale" in torch_group:
                merged["lr_scale"] = torch_group["lr_scale"]
            groups.append(merged)
        return {"state": state, "param_groups": groups}


def _check_names(saved: set[str], current: set[str], strict: bool) -> None:
    if not strict or saved == current:
        return
    missing, unexpected = sorted(current - saved), sorted(saved - current)
    parts = []
    if missing:
        parts.append("missing from the saved state: " + _some(missing))
    if unexpected:
        parts.append("not in the model: " + _some(unexpected))
    raise ValueError("optimizer state does not match the model's parameters; " + "; ".join(parts))


def _some(names: Iterable[str], limit: int = 10) -> str:
    names = list(names)
    return ", ".join(names[:limit]) + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _any_gradient(param_groups: list[dict[str, Any]]) -> bool:
    # The first parameter with a gradient ends the search: no list (or generator) per update.
    for group in param_groups:
        for param in group["params"]:
            if param.grad is not None:
                return True
    return False
