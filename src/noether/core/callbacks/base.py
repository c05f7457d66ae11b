"""Callback base classes and the firing rules of periodic callbacks.

A callback is built as ``Callback(config, ctx=..., model=...)``; ``ctx`` is the
:class:`~noether.core.callbacks.context.CallbackContext`, everything a callback may use.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from noether.core.callbacks.context import CallbackContext
from noether.core.time import Every, Unit

if TYPE_CHECKING:
    import torch

    from noether.core.callbacks.context import MetricSink
    from noether.core.time import UpdateCounter


class EarlyStopIteration(Exception):
    """Raised by a callback to stop training after the current step (an ``early_exit`` checkpoint is saved)."""


def _context_from_trainer(trainer: Any) -> CallbackContext:
    # Old construction ``Callback(config, trainer=..., model=...)``: the engine's trainer offers its context.
    warnings.warn("constructing a callback with trainer=... is deprecated; pass ctx=trainer.callback_context",
                  DeprecationWarning, stacklevel=4)
    ctx: CallbackContext = trainer.callback_context
    return ctx


class CallbackBase:
    """A callback: ``Callback(config, ctx=..., model=...)``.

    Hooks (all run without gradients): :meth:`before_training`, :meth:`after_training`; stateful callbacks
    implement :meth:`state_dict` / :meth:`load_state_dict`, stored in checkpoints under :attr:`checkpoint_key`.
    Use :attr:`ctx` (the :class:`~noether.core.callbacks.context.CallbackContext`) to reach the run.
    """

    def __init__(self, config: Any, *, ctx: CallbackContext | None = None, model: torch.nn.Module | None = None,
                 trainer: Any = None, **_: Any) -> None:
        if ctx is None:
            if trainer is None:
                raise TypeError(f"{type(self).__name__} needs ctx=<CallbackContext>")
            ctx = _context_from_trainer(trainer)
        self.config = config
        self.ctx = ctx
        self.model = model if model is not None else ctx.model

    @property
    def trainer(self) -> Any:
        """Deprecated: the old trainer API, mapped onto :attr:`ctx` (use ``self.ctx`` instead)."""
        warnings.warn(f"{type(self).__name__}: self.trainer is deprecated and will be removed in the next "
                      "release; use self.ctx (noether.core.callbacks.context.CallbackContext)",
                      DeprecationWarning, stacklevel=2)
        from noether.core.callbacks.legacy import TrainerAdapter

        return TrainerAdapter(self.ctx)

    @property
    def checkpoint_key(self) -> str:
        """Key of this callback's state in checkpoints: the config ``id``, else the class name."""
        return getattr(self.config, "id", None) or type(self).__name__

    @property
    def log_writer(self) -> MetricSink:
        """Where to log scalars for the current update (``self.ctx.metrics``)."""
        return self.ctx.metrics

    def before_training(self, counter: UpdateCounter) -> None:
        """Called once before the first update (also when resuming)."""

    def after_training(self, counter: UpdateCounter) -> None:
        """Called once after the last update (also after an early stop or a signal)."""

    def state_dict(self) -> dict[str, Any] | None:
        """State to checkpoint; ``None`` means stateless."""
        return None

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""


class PeriodicCallback(CallbackBase):
    """A callback that fires every n epochs, updates or samples (:attr:`every`, from its config).

    Override :meth:`periodic_callback` for the periodic work; override :meth:`track_after_accumulation_step`
    or :meth:`track_after_update_step` to observe every micro-step or update (only overridden hooks are called,
    so unused ones cost nothing in the loop).
    """

    #: Whether :meth:`periodic_callback` may draw random numbers; the trainer then shields the training RNG
    #: streams from it (resume stays exact). Callbacks that never draw set this to ``False`` to skip that cost.
    may_use_rng: bool = True
    #: Whether the callback fires (with ``Unit.EVAL``) in an evaluation-only run (a ``max_*`` of 0).
    #: Callbacks that only report on training (losses, timings, checkpoints) set this to ``False``.
    runs_in_evaluation: bool = True
    #: Whether :meth:`periodic_callback` runs the model (an evaluation) and so needs it in eval mode. When a
    #: group of callbacks fires after an update, the trainer switches the model to eval mode once for the
    #: group (and back to train mode after it) if any of them needs it, and not at all otherwise. Callbacks
    #: that only read metrics, counters or weights (losses, timings, checkpoints) set this to ``False``.
    needs_eval_mode: bool = True

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        #: When the callback fires; ``None`` for a callback that only observes. The trainer sorts callbacks by
        #: it when it is built (one without an interval then never fires) and reads it again after every
        #: firing: an interval changed in :meth:`periodic_callback` takes effect at once, one changed in
        #: another hook after the next firing of any callback.
        self.every: Every | None = Every.from_config(config)

    @property
    def every_n_epochs(self) -> int | None:
        """The epoch interval, if the callback counts in epochs."""
        return self._every_n(Unit.EPOCH)

    @every_n_epochs.setter
    def every_n_epochs(self, value: int | None) -> None:
        self._set_every(Unit.EPOCH, value)

    @property
    def every_n_updates(self) -> int | None:
        """The update interval, if the callback counts in updates."""
        return self._every_n(Unit.UPDATE)

    @every_n_updates.setter
    def every_n_updates(self, value: int | None) -> None:
        self._set_every(Unit.UPDATE, value)

    @property
    def every_n_samples(self) -> int | None:
        """The sample interval, if the callback counts in samples."""
        return self._every_n(Unit.SAMPLE)

    @every_n_samples.setter
    def every_n_samples(self, value: int | None) -> None:
        self._set_every(Unit.SAMPLE, value)

    def _every_n(self, unit: Unit) -> int | None:
        return self.every.n if self.every is not None and self.every.unit is unit else None

    def _set_every(self, unit: Unit, value: int | None) -> None:
        # Kept for callbacks that assign ``every_n_*`` themselves; ``every`` is the one source of truth.
        if value is not None:
            self.every = Every(unit, int(value))
        elif self.every is not None and self.every.unit is unit:
            self.every = None

    # -- to override ---------------------------------------------------------------------------------------
    def periodic_callback(self, interval_type: Unit, counter: UpdateCounter) -> None:
        """The periodic work; ``interval_type`` is the :class:`~noether.core.time.Unit` that fired."""

    def track_after_accumulation_step(
        self,
        counter: UpdateCounter,
        batch: dict[str, Any],
        losses: dict[str, torch.Tensor],
        additional_outputs: dict[str, Any] | None,
        accumulation_steps: int,
        accumulation_step: int,
    ) -> None:
        """Observe one micro-step (forward + backward of one micro-batch)."""

    def track_after_update_step(self, counter: UpdateCounter, times: dict[str, float]) -> None:
        """Observe one finished optimizer update (before the counters of the next one). ``times`` (seconds of
        ``data_wait``, ``forward``, ``backward``, ``update``) is a new dict every update: a callback may keep it."""

    # -- firing --------------------------------------------------------------------------------------------
    def due_after_update(self, counter: UpdateCounter) -> Unit | None:
        """The unit due after the update just counted, or ``None``."""
        return self.every.due_after_update(counter) if self.every is not None else None

    def due_after_epoch(self, counter: UpdateCounter) -> bool:
        """Whether an epoch-based firing is due at the end of the epoch just counted."""
        return self.every is not None and self.every.due_after_epoch(counter)

    @property
    def interval_short(self) -> str:
        """``E<n>``, ``U<n>`` or ``S<n>``: the suffix of keys this callback logs."""
        return self.every.short if self.every is not None else "eval"


def overrides(callback: object, name: str) -> bool:
    """Whether ``callback``'s class overrides hook ``name`` of :class:`PeriodicCallback`."""
    return getattr(type(callback), name, None) is not getattr(PeriodicCallback, name)
