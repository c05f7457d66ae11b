"""Building the trainer's parts from config: optimizers per model, and the callback list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from noether.core.callbacks.base import CallbackBase
from noether.core.callbacks.context import CallbackContext
from noether.core.models.base import Model


def build_optimizers(model: Model) -> dict[str, Any]:
    """One optimizer wrapper for the model (its ``optimizer_config``), else one per leaf model that has one."""
    from noether.core.optimizer.wrapper import OptimizerWrapper

    root_config = model.config.optimizer_config
    if root_config is not None and not model.is_frozen:
        return {model.name: OptimizerWrapper(root_config, model)}
    optimizers = {}
    for name, leaf in model.leaf_models():
        cfg = leaf.config.optimizer_config
        if leaf is not model and cfg is not None and not leaf.is_frozen:
            optimizers[name] = OptimizerWrapper(cfg, leaf)
    return optimizers


def build_callbacks(config: Any, ctx: CallbackContext, model: Model,
                    trainer_callbacks: Callable[[], list[CallbackBase]]) -> list[CallbackBase]:
    """The configured callbacks, then the trainer's own (``add_trainer_callbacks``), then the defaults."""
    from noether.core.callbacks.defaults import default_callbacks
    from noether.core.registry import get_registry

    registry = get_registry()
    callbacks: list[CallbackBase] = []
    for cfg in config.callbacks or []:
        kind = getattr(cfg, "kind", None) or getattr(cfg, "name")  # noqa: B009 (every callback config has a name)
        callbacks.append(registry.build("callback", cfg, kind=kind, ctx=ctx, model=model))
    if config.add_trainer_callbacks:
        callbacks.extend(trainer_callbacks())
    if config.add_default_callbacks:
        callbacks.extend(default_callbacks(ctx, model))
    return callbacks
