"""The run's callbacks, sorted once by the events they subscribe to (only overridden hooks are called)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from noether.core.callbacks.base import CallbackBase, EarlyStopIteration, PeriodicCallback, overrides
from noether.core.callbacks.losses import OnlineLossCallback
from noether.core.time import Unit, UpdateCounter

logger = logging.getLogger("noether")


def check_unique_keys(callbacks: list[CallbackBase]) -> None:
    """Stateful callbacks need distinct checkpoint keys (their states are stored by key)."""
    keys: dict[str, CallbackBase] = {}
    for cb in callbacks:
        if cb.state_dict() is None:
            continue
        other = keys.get(cb.checkpoint_key)
        if other is not None:
            raise ValueError(
                f"two stateful callbacks share the checkpoint key '{cb.checkpoint_key}' "
                f"({type(other).__name__} and {type(cb).__name__}); set a unique 'id' on each"
            )
        keys[cb.checkpoint_key] = cb


class CallbackSet:
    """Every callback, and per :class:`~noether.core.callbacks.context.Event` the ones that subscribe."""

    def __init__(self, callbacks: list[CallbackBase]) -> None:
        check_unique_keys(callbacks)
        self.all = callbacks
        periodic = [cb for cb in callbacks if isinstance(cb, PeriodicCallback)]
        self.accumulation_step = [cb for cb in periodic if overrides(cb, "track_after_accumulation_step")]
        self.update_step = [cb for cb in periodic if overrides(cb, "track_after_update_step")]
        # Online losses fire first so that evaluation callbacks of the same step can log loss differences.
        firing = sorted((cb for cb in periodic if overrides(cb, "periodic_callback")),
                        key=lambda cb: not isinstance(cb, OnlineLossCallback))
        self.evaluation = [cb for cb in firing if cb.runs_in_evaluation]
        self.update_firing = [cb for cb in firing if cb.every is not None and cb.every.unit is not Unit.EPOCH]
        self.epoch_firing = [cb for cb in firing if cb.every is not None and cb.every.unit is Unit.EPOCH]

    def due(self, counter: UpdateCounter, epoch_ended: bool) -> list[tuple[PeriodicCallback, Unit]]:
        """The callbacks that fire after the update just counted, with the unit that fired."""
        due = [(cb, unit) for cb in self.update_firing if (unit := cb.due_after_update(counter)) is not None]
        if epoch_ended:
            due += [(cb, Unit.EPOCH) for cb in self.epoch_firing if cb.due_after_epoch(counter)]
        return due


def call_each(call: Callable[[Any], None], items: list[Any], phase: str, on_error: Callable[[], None]) -> bool:
    """Call every item; all run even if one fails (then ``on_error`` runs and the first error is re-raised).

    Returns whether a callback asked for an early stop.
    """
    stop = False
    error: BaseException | None = None
    for item in items:
        try:
            call(item)
        except EarlyStopIteration:
            stop = True
        except Exception as exc:
            cb = item[0] if isinstance(item, tuple) else item
            logger.error("callback %s failed in %s: %s", type(cb).__name__, phase, exc)
            if error is None:
                error = exc
    if error is not None:
        try:
            on_error()
        except Exception as exc:  # the callback's error is what the user must see
            logger.debug("could not write the error checkpoint: %s", exc)
        raise error
    return stop
