"""Evaluating a schedule at an optimizer update, per update or per epoch."""

from __future__ import annotations

from typing import Literal, Protocol

Interval = Literal["update", "epoch"]


class SupportsGetValue(Protocol):
    """Anything with ``get_value(step, total_steps)``: every schedule."""

    def get_value(self, step: int, total_steps: int) -> float:
        """The value at ``step`` of ``total_steps``."""
        ...


def scheduled_value(
    schedule: SupportsGetValue, interval: str, update: int, total_updates: int, updates_per_epoch: int
) -> float:
    """The value ``schedule`` gives the (0-based) update ``update`` of a run of ``total_updates`` updates.

    ``interval="update"`` evaluates ``get_value(update, total_updates)``, so the last update (``total - 1``)
    gets the schedule's end value. ``interval="epoch"`` evaluates at the first update of the current epoch,
    ``get_value(epoch * upe, end_epoch * upe)``, which makes the value piecewise constant over each epoch.
    """
    if interval == "update":
        return schedule.get_value(update, total_updates)
    if interval == "epoch":
        if updates_per_epoch < 1:
            raise ValueError(f"updates_per_epoch must be >= 1 for an epoch interval, got {updates_per_epoch}")
        if not 0 <= update <= total_updates:
            # Checked here too: rounding both to epochs could hide an update past the end of the run.
            raise ValueError(f"update must be in [0, total_updates] = [0, {total_updates}], got {update}")
        step = (update // updates_per_epoch) * updates_per_epoch
        total = (total_updates // updates_per_epoch) * updates_per_epoch
        return schedule.get_value(step, total)
    raise ValueError(f"interval must be 'update' or 'epoch', got {interval!r}")
