"""Per-process batch size and gradient-accumulation steps, and the run's counter, from the trainer config."""

from __future__ import annotations

from typing import Any

import attrs

from noether.core.errors import ConfigError, Issue
from noether.core.time import UpdateCounter, updates_per_epoch


@attrs.frozen
class BatchPlan:
    """``micro_batch_size`` samples per forward pass, ``accumulation_steps`` passes per update (per process)."""

    micro_batch_size: int
    accumulation_steps: int


def plan_batches(
    *,
    effective_batch_size: int,
    max_batch_size: int | None,
    world_size: int,
    disable_gradient_accumulation: bool,
    eval_only: bool,
) -> BatchPlan:
    """Split the global batch over processes and micro-batches (§2.3, accumulation allowed with every limit)."""

    def fail(field: str, message: str) -> ConfigError:
        return ConfigError([Issue(("trainer", field), message)], "invalid batch configuration")

    if effective_batch_size % world_size:
        raise fail("effective_batch_size",
                   f"{effective_batch_size} is not divisible by the number of processes ({world_size})")
    per_device = effective_batch_size // world_size
    if eval_only or disable_gradient_accumulation or max_batch_size is None:
        return BatchPlan(per_device, 1)
    if max_batch_size % world_size:
        raise fail("max_batch_size", f"{max_batch_size} is not divisible by the number of processes ({world_size})")
    max_per_device = max_batch_size // world_size
    if per_device <= max_per_device:
        return BatchPlan(per_device, 1)
    if per_device % max_per_device:
        raise fail(
            "max_batch_size",
            f"the per-process batch {per_device} must be a multiple of the per-process max_batch_size "
            f"{max_per_device} for gradient accumulation",
        )
    steps = per_device // max_per_device
    return BatchPlan(per_device // steps, steps)


def make_counter(config: Any, train_dataset: Any, train_dataset_key: str, *, eval_only: bool) -> UpdateCounter:
    """The run's counter from the trainer config's ``max_*`` and the training set's length."""
    upe = updates_per_epoch(len(train_dataset), config.effective_batch_size)
    if upe == 0 and not eval_only:
        raise ValueError(
            f"the training dataset '{train_dataset_key}' has {len(train_dataset)} samples, fewer than "
            f"effective_batch_size={config.effective_batch_size}"
        )
    counter = UpdateCounter.from_limits(
        updates_per_epoch=max(1, upe), effective_batch_size=config.effective_batch_size,
        max_epochs=config.max_epochs, max_updates=config.max_updates, max_samples=config.max_samples)
    if config.start_at_epoch is not None:
        counter.start_at(config.start_at_epoch * counter.updates_per_epoch)
    return counter
