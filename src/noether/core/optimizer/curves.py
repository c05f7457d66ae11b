"""The learning-rate and weight-decay curves an optimizer config produces over a run (no torch import).

Used by ``noether schedule`` to show a warm-up (or a mistake) before a run starts. The values are those the
:class:`~noether.core.optimizer.wrapper.OptimizerWrapper` sets for the default param group (lr scale 1, weight
decay not excluded); other groups differ by their lr scale or have weight decay 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from noether.core.schedules import ScheduleBase, build_schedule, scheduled_value
from noether.core.schemas.optimizers import OptimizerConfig


def optimizer_schedules(config: OptimizerConfig) -> tuple[ScheduleBase[Any] | None, ScheduleBase[Any] | None]:
    """The lr and weight-decay schedules of ``config`` (``None`` where not configured).

    A warm-up without ``max_value`` peaks at the optimizer's ``lr`` (or, for weight decay, at the base
    ``weight_decay``; a base of 0.0 would give a flat zero curve, so it counts as unset).
    """
    lr_schedule = wd_schedule = None
    if config.schedule_config is not None:
        lr_schedule = build_schedule(config.schedule_config, default_max_value=config.lr)
    if config.weight_decay_schedule is not None:
        wd_peak = config.weight_decay or None
        wd_schedule = build_schedule(config.weight_decay_schedule, default_max_value=wd_peak)
    return lr_schedule, wd_schedule


@dataclass(frozen=True)
class OptimizerCurves:
    """Per-update values of one optimizer; ``lr`` entries are ``None`` when torch's default lr applies."""

    name: str
    kind: str
    updates: list[int]
    lr: list[float | None]
    wd: list[float]
    #: Learning-rate scales of named parameters (their lr is ``lr * scale``).
    lr_scales: dict[str, float]


def sample_updates(total_updates: int, updates_per_epoch: int, limit: int = 20_000) -> list[int]:
    """Every update of the run, or about ``limit`` evenly spaced ones plus every epoch start for long runs."""
    if total_updates <= limit:
        return list(range(total_updates))
    stride = -(-total_updates // limit)
    picked = set(range(0, total_updates, stride)) | {total_updates - 1}
    if updates_per_epoch > 0 and total_updates // updates_per_epoch <= limit:
        # Epoch starts are where epoch-interval schedules jump; keep them so the steps are drawn sharp.
        for start in range(0, total_updates, updates_per_epoch):
            picked.update({start, max(0, start - 1)})
    return sorted(picked)


def optimizer_curves(
    name: str,
    config: OptimizerConfig,
    total_updates: int,
    updates_per_epoch: int,
    updates: Sequence[int] | None = None,
) -> OptimizerCurves:
    """Learning rate and weight decay of ``config`` at each of ``updates`` (default: :func:`sample_updates`).

    Schedule errors (a warm-up without a peak, an end above the peak, ...) raise ``ValueError`` exactly as
    they would when the run starts.
    """
    points = list(updates) if updates is not None else sample_updates(total_updates, updates_per_epoch)
    lr_schedule, wd_schedule = optimizer_schedules(config)
    lr: list[float | None] = []
    wd: list[float] = []
    for update in points:
        if lr_schedule is None:
            lr.append(config.lr)
        else:
            lr.append(scheduled_value(lr_schedule, lr_schedule.config.interval, update, total_updates,
                                      updates_per_epoch))
        if wd_schedule is None:
            wd.append(config.weight_decay)
        else:
            wd.append(scheduled_value(wd_schedule, wd_schedule.config.interval, update, total_updates,
                                      updates_per_epoch))
    scales: dict[str, float] = {}
    for modifier in config.param_group_modifiers_config or ():
        if modifier.scale is not None:
            scales[modifier.name] = scales.get(modifier.name, 1.0) * modifier.scale  # scales multiply
    return OptimizerCurves(name, config.kind or "?", points, lr, wd, scales)
