"""The parallel strategy of a run: DDP (the default) or FSDP2 (``torch.distributed.fsdp.fully_shard``).

FSDP shards in place: ``fully_shard`` turns the model's parameters into sharded ``DTensor`` s, so it is applied
right after the model is on its device and before the optimizers are built (an optimizer built earlier would
hold the replaced, unsharded parameters). DDP wraps after the optimizers, in
:func:`noether.training.distributed.wrap_for_training`.
"""

from __future__ import annotations

import logging
from typing import Any

import torch

logger = logging.getLogger("noether")

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def is_fsdp(trainer_config: Any) -> bool:
    """Whether the trainer config selects FSDP."""
    strategy = getattr(trainer_config, "strategy", None)
    return strategy is not None and strategy.kind == "fsdp"


def mixed_precision_policy(strategy: Any) -> Any:
    """FSDP2's ``MixedPrecisionPolicy`` for ``param_dtype`` / ``reduce_dtype`` of the strategy config."""
    from torch.distributed.fsdp import MixedPrecisionPolicy

    param = _DTYPES[strategy.param_dtype] if strategy.param_dtype else None
    reduce = _DTYPES[strategy.reduce_dtype] if strategy.reduce_dtype else None
    return MixedPrecisionPolicy(param_dtype=param, reduce_dtype=reduce)


def _has_own_parameters(module: torch.nn.Module) -> bool:
    return any(p.requires_grad for p in module.parameters())


def shard_units(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The modules sharded as their own units under ``shard_children``: each direct child with trainable
    parameters; a ``ModuleList`` / ``ModuleDict`` (no ``forward`` of its own, which ``fully_shard`` needs)
    stands for its members, looked at the same way."""
    units: list[torch.nn.Module] = []
    for child in model.children():
        if isinstance(child, torch.nn.ModuleList | torch.nn.ModuleDict):
            units.extend(shard_units(child))
        elif _has_own_parameters(child):
            units.append(child)
    return units


def apply_fsdp(model: torch.nn.Module, strategy: Any) -> torch.nn.Module:
    """Shard ``model`` in place over the default process group (children first, then the root); returns it.

    Frozen models are left whole (nothing to shard: every rank keeps the same copy). Needs a process group:
    a single process trains as it would without a strategy.
    """
    if not torch.distributed.is_initialized() or torch.distributed.get_world_size() < 2:
        return model
    if not _has_own_parameters(model):
        return model
    from torch.distributed.fsdp import fully_shard

    from noether.training.distributed import broadcast_module

    # Every rank initialised its own copy; shards must be cut from one model (DDP does the same at wrapping).
    broadcast_module(model)
    options: dict[str, Any] = {"reshard_after_forward": strategy.reshard_after_forward,
                               "mp_policy": mixed_precision_policy(strategy)}
    if strategy.shard_children:
        for unit in shard_units(model):
            fully_shard(unit, **options)
    fully_shard(model, **options)
    logger.debug("FSDP2: model sharded over %d processes", torch.distributed.get_world_size())
    return model


def is_sharded(model: torch.nn.Module) -> bool:
    """Whether ``model`` holds FSDP-sharded parameters."""
    from torch.distributed.tensor import DTensor

    return any(isinstance(p, DTensor) for p in model.parameters())
