"""The optimizer: torch optimizers over Noether's param groups, Lion, modifiers and argument checks.

Names are imported lazily so that ``import noether.core.optimizer`` (and ``noether check``, which uses
:mod:`noether.core.optimizer.signatures`) does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from noether._lazy import lazy_getattr

_LAZY = {
    "Lion": "noether.core.optimizer.lion",
    "OptimizerWrapper": "noether.core.optimizer.wrapper",
    "ParamGroup": "noether.core.optimizer.param_groups",
    "build_param_groups": "noether.core.optimizer.param_groups",
    "LrScaleByNameModifier": "noether.core.optimizer.param_group_modifiers",
    "WeightDecayByNameModifier": "noether.core.optimizer.param_group_modifiers",
    "ParamGroupModifier": "noether.core.optimizer.param_group_modifiers",
    "build_modifier": "noether.core.optimizer.param_group_modifiers",
    "TORCH_OPTIMIZER_ARGS": "noether.core.optimizer.signatures",
    "check_optimizer_args": "noether.core.optimizer.signatures",
}

if TYPE_CHECKING:
    from noether.core.optimizer.lion import Lion
    from noether.core.optimizer.param_group_modifiers import (
        LrScaleByNameModifier,
        ParamGroupModifier,
        WeightDecayByNameModifier,
        build_modifier,
    )
    from noether.core.optimizer.param_groups import ParamGroup, build_param_groups
    from noether.core.optimizer.signatures import TORCH_OPTIMIZER_ARGS, check_optimizer_args
    from noether.core.optimizer.wrapper import OptimizerWrapper

__all__ = [
    "TORCH_OPTIMIZER_ARGS",
    "Lion",
    "LrScaleByNameModifier",
    "OptimizerWrapper",
    "ParamGroup",
    "ParamGroupModifier",
    "WeightDecayByNameModifier",
    "build_modifier",
    "build_param_groups",
    "check_optimizer_args",
]


__getattr__ = lazy_getattr("noether.core.optimizer", _LAZY)


def __dir__() -> list[str]:
    return sorted(__all__)
