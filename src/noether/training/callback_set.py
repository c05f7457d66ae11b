"""The run's callbacks, sorted once by the events they subscribe to (only overridden hooks are called)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from noether.core.callbacks.base import CallbackBase, EarlyStopIteration, PeriodicCallback, overrides
from noether.core.callbacks.losses import OnlineLossCallback
from noether.core.time import Every, Unit, UpdateCounter

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
        self.accumulation_step: list[Any] = [cb for cb in periodic
                                             if overrides(cb, "track_after_accumulation_step")]
        self._share_online_loss_sums()
        self.update_step = [cb for cb in periodic if overrides(cb, "track_after_update_step")]
        # Online losses fire first so that evaluation callbacks of the same step can log loss differences.
        firing = sorted((cb for cb in periodic if overrides(cb, "periodic_callback")),
                        key=lambda cb: not isinstance(cb, OnlineLossCallback))
        self.evaluation = [cb for cb in firing if cb.runs_in_evaluation]
        self.update_firing = [cb for cb in firing if cb.every is not None and cb.every.unit is not Unit.EPOCH]
        self.epoch_firing = [cb for cb in firing if cb.every is not None and cb.every.unit is Unit.EPOCH]
        # With whether each keeps PeriodicCallback's own due check (which ``due`` then does inline).
        self._update_firing = [(cb, type(cb).due_after_update is PeriodicCallback.due_after_update)
                               for cb in self.update_firing]
        # The updates after which nothing can fire: ``quiet_from <= update < quiet_until`` (see ``due``).
        self._quiet_from = self._quiet_until = 0

    def _share_online_loss_sums(self) -> None:
        # Every run has two online-loss callbacks (log and track interval): they keep one list of the micro-step
        # losses, so each micro-step is one call and one append for both (subclasses with their own micro-step
        # hook keep it).
        hook = OnlineLossCallback.track_after_accumulation_step
        online = [cb for cb in self.accumulation_step
                  if isinstance(cb, OnlineLossCallback) and type(cb).track_after_accumulation_step is hook]
        if len(online) < 2:
            return
        first = self.accumulation_step.index(online[0])
        rest = [cb for cb in self.accumulation_step if cb not in online]
        self.accumulation_step = [*rest[:first], OnlineLossCallback.share(online), *rest[first:]]

    def due(self, counter: UpdateCounter, epoch_ended: bool) -> list[tuple[PeriodicCallback, Unit]]:
        """The callbacks that fire after the update just counted, with the unit that fired.

        Between two firings nothing is checked: after an update at which nothing fired, the next update at
        which one of the callbacks' update intervals comes due is computed, and the updates before it are
        answered at once (when every update-firing callback counts in updates with PeriodicCallback's own due
        check; a sample interval or an own ``due_after_update`` is asked after every update). Intervals are
        read again after every firing, so one changed in ``periodic_callback`` takes effect at once; one
        changed anywhere else, after the next firing of any callback.
        """
        update = counter.update
        if self._quiet_from <= update < self._quiet_until and not epoch_ended:
            return []
        due: list[tuple[PeriodicCallback, Unit]] = []
        quiet_until: int | None = None  # the next update at which an update interval comes due
        for cb, inherited in self._update_firing:
            every = cb.every
            if inherited and type(every) is Every and every.unit is Unit.UPDATE:
                n = every.n
                if update % n == 0:  # what ``due_after_update`` answers, without its two calls
                    due.append((cb, Unit.UPDATE))
                    continue
                next_due = update + n - update % n
                if quiet_until is None or next_due < quiet_until:
                    quiet_until = next_due
            elif inherited and every is None:
                continue  # its interval was removed: never due (PeriodicCallback's rule)
            else:
                quiet_until = 0  # asked after every update
                if (unit := cb.due_after_update(counter)) is not None:
                    due.append((cb, unit))
        if epoch_ended:
            due += [(cb, Unit.EPOCH) for cb in self.epoch_firing if cb.due_after_epoch(counter)]
        if due or quiet_until == 0:
            self._quiet_from = self._quiet_until = 0  # after a firing, the intervals are read again
        else:  # (no update-firing callbacks at all: quiet until the run ends)
            self._quiet_from, self._quiet_until = update + 1, sys.maxsize if quiet_until is None else quiet_until
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
