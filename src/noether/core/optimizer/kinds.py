"""The optimizer and parameter-group modifier kinds, registered as a built-in plugin (torch-free).

Optimizer registrations carry :func:`check_optimizer_arguments`, which ``noether check`` runs on every
optimizer config of these kinds: a plugin's optimizer can carry a check of its own the same way.
"""

from __future__ import annotations

from typing import Any

from noether.core.errors import Issue
from noether.core.registry.hookspecs import RegisterFunction, hookimpl
from noether.core.schemas import optimizers

#: torch.optim classes that can be named as ``torch.optim.<Name>``.
TORCH_OPTIMIZERS = (
    "ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam", "RAdam",
    "RMSprop", "Rprop", "SGD", "SparseAdam",
)
_MODIFIERS = "noether.core.optimizer.param_group_modifiers"


def check_optimizer_arguments(config: Any) -> list[Issue]:
    """Each configured argument (``lr``, ``weight_decay``, ``extra_args``) is one the optimizer accepts.

    Reads the recorded signatures of the known optimizers, so torch is not imported.
    """
    from noether.core.optimizer.signatures import check_optimizer_args, configured_arg_names

    names = configured_arg_names(config.weight_decay, config.lr, config.extra_args)
    return [Issue((name,), message) for name in names for message in check_optimizer_args(config.kind, [name])]


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register ``torch.optim.<Name>``, Lion and the parameter-group modifiers."""
    for name in TORCH_OPTIMIZERS:
        register("optimizer", f"torch.optim.{name}", config=optimizers.OptimizerConfig,
                 component=f"torch.optim:{name}", check=check_optimizer_arguments)
    register("optimizer", "noether.core.optimizer.Lion", config=optimizers.OptimizerConfig,
             component="noether.core.optimizer.lion:Lion", check=check_optimizer_arguments)
    for name in ("LrScaleByNameModifier", "WeightDecayByNameModifier"):
        register("param_group_modifier", f"{_MODIFIERS}.{name}", config=optimizers.ParamGroupModifierConfig,
                 component=f"{_MODIFIERS}:{name}")
