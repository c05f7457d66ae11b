"""Per-process batch size and gradient-accumulation steps from the trainer config."""

from __future__ import annotations

import attrs

from noether.core.errors import ConfigError, Issue


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
