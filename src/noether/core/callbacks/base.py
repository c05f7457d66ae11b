"""Callback base classes and the firing rules of periodic callbacks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from noether.core.schemas.callbacks import CallBackBaseConfig

if TYPE_CHECKING:
    from noether.training.counters import UpdateCounter
    from noether.training.trainer import BaseTrainer


class EarlyStopIteration(Exception):
    """Raised by a callback to stop training after the current step (an ``early_exit`` checkpoint is saved)."""


class CallbackBase:
    """A callback: ``Callback(config, trainer=..., model=...)``.

    Hooks (all run without gradients): :meth:`before_training`, :meth:`after_training`; stateful callbacks
    implement :meth:`state_dict` / :meth:`load_state_dict`, stored in checkpoints under :attr:`checkpoint_key`.
    """

    def __init__(self, config: Any, *, trainer: BaseTrainer, model: torch.nn.Module, **_: Any) -> None:
        self.config = config
        self.trainer = trainer
        self.model = model

    @property
    def checkpoint_key(self) -> str:
        """Key of this callback's state in checkpoints: the config ``id``, else the class name."""
        return getattr(self.config, "id", None) or type(self).__name__

    @property
    def log_writer(self) -> Any:
        """The run's log writer."""
        return self.trainer.log_writer

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
    """A callback that fires every n epochs, updates or samples (exactly one, from its config).

    Override :meth:`periodic_callback` for the periodic work; override :meth:`track_after_accumulation_step`
    or :meth:`track_after_update_step` to observe every micro-step or update (only overridden hooks are called,
    so unused ones cost nothing in the loop).
    """

    #: Whether :meth:`periodic_callback` may draw random numbers; the trainer then shields the training RNG
    #: streams from it (resume stays exact). Callbacks that never draw set this to ``False`` to skip that cost.
    may_use_rng: bool = True

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.every_n_epochs: int | None = getattr(config, "every_n_epochs", None)
        self.every_n_updates: int | None = getattr(config, "every_n_updates", None)
        self.every_n_samples: int | None = getattr(config, "every_n_samples", None)

    # -- to override ---------------------------------------------------------------------------------------
    def periodic_callback(self, interval_type: str, counter: UpdateCounter) -> None:
        """The periodic work; ``interval_type`` is ``epoch``, ``update``, ``sample`` or ``eval``."""

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
        """Observe one finished optimizer update (before the counters of the next one)."""

    # -- firing --------------------------------------------------------------------------------------------
    def due_after_update(self, counter: UpdateCounter) -> str | None:
        """The interval type due after the update just counted, or ``None``."""
        if self.every_n_updates is not None and counter.update % self.every_n_updates == 0:
            return "update"
        n = self.every_n_samples
        if n is not None and counter.sample // n > (counter.sample - counter.effective_batch_size) // n:
            return "sample"
        return None

    def due_after_epoch(self, counter: UpdateCounter) -> bool:
        """Whether an epoch-based firing is due at the end of the epoch just counted."""
        return self.every_n_epochs is not None and counter.epoch % self.every_n_epochs == 0

    @property
    def interval_short(self) -> str:
        """``E<n>``, ``U<n>`` or ``S<n>``: the suffix of keys this callback logs."""
        if self.every_n_epochs is not None:
            return f"E{self.every_n_epochs}"
        if self.every_n_updates is not None:
            return f"U{self.every_n_updates}"
        if self.every_n_samples is not None:
            return f"S{self.every_n_samples}"
        return "eval"

    def updates_per_interval(self, counter: UpdateCounter) -> int:
        """How many updates one interval spans."""
        if self.every_n_epochs is not None:
            return self.every_n_epochs * counter.updates_per_epoch
        if self.every_n_updates is not None:
            return self.every_n_updates
        if self.every_n_samples is not None:
            return max(1, self.every_n_samples // counter.effective_batch_size)
        return 1


def overrides(callback: object, name: str) -> bool:
    """Whether ``callback``'s class overrides hook ``name`` of :class:`PeriodicCallback`."""
    return getattr(type(callback), name, None) is not getattr(PeriodicCallback, name)


def make_callback_config(cls: type[CallBackBaseConfig], **fields: Any) -> CallBackBaseConfig:
    """Build a config for a callback the trainer adds itself."""
    return cls(**fields)
