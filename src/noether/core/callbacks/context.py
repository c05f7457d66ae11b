"""The callback contract: the firing points of the loop (:class:`Event`) and what a callback may use
(:class:`CallbackContext`).

The engine implements the context (``noether.training.events``); callbacks see only this protocol, so this
module, like all of ``noether.core``, never imports ``noether.training``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import torch

    from noether.core.models.base import Model
    from noether.core.time import UpdateCounter


class Event(enum.Enum):
    """Where the engine calls callbacks. The loop, in pseudocode (``ctx.counter`` is the counter)::

        BEFORE_TRAINING          every callback: before_training(counter)      # also after a resume
        if evaluation only (a max_* is 0):
            EVALUATE             periodic callbacks that run in evaluation: periodic_callback(Unit.EVAL, counter)
        while not counter.is_finished:
            schedules step (lr, weight decay) for this update
            for each micro-batch of the update:
                forward, loss, backward
                AFTER_ACCUMULATION_STEP   track_after_accumulation_step(counter, batch, losses, outputs, n, i)
            optimizer step, zero grad
            AFTER_UPDATE_STEP    track_after_update_step(counter, times)          # counters not yet advanced
            counter.advance()
            AFTER_UPDATE         due update/sample intervals: periodic_callback(Unit.UPDATE|SAMPLE, counter)
            if the update closed an epoch:
                AFTER_EPOCH      due epoch intervals: periodic_callback(Unit.EPOCH, counter)
            (periodic callbacks run without gradients; the model in eval mode, switched once for the callbacks
             due, if one of them needs_eval_mode; training RNG streams shielded if one of them may_use_rng)
            if a callback raised EarlyStopIteration: checkpoint '<tag>.early_exit', stop
            if a signal arrived: checkpoint '<tag>.signal_interrupt', stop
            the metrics row of the update is written
        AFTER_TRAINING           every callback: after_training(counter)        # also after a stop
    """

    BEFORE_TRAINING = "before_training"
    EVALUATE = "evaluate"
    AFTER_ACCUMULATION_STEP = "track_after_accumulation_step"
    AFTER_UPDATE_STEP = "track_after_update_step"
    AFTER_UPDATE = "after_update"
    AFTER_EPOCH = "after_epoch"
    AFTER_TRAINING = "after_training"


class MetricSink(Protocol):
    """Scalars logged for the current update; written as one row of ``metrics.jsonl`` after the update."""

    def add_scalar(self, key: str, value: Any, *, console: bool = False, fmt: str = ".5f") -> None:
        """Log one scalar (tensors and NumPy scalars are converted); a key logged twice per update raises."""
        ...

    def has(self, key: str) -> bool:
        """Whether ``key`` was logged in the current update."""
        ...

    def get(self, key: str) -> Any:
        """A value logged in the current update (``KeyError`` if absent)."""
        ...

    @property
    def current(self) -> Mapping[str, Any]:
        """Everything logged in the current update so far."""
        ...


class StepResult(Protocol):
    """What the trainer's loss computation returns for one batch."""

    total_loss: torch.Tensor
    losses_to_log: dict[str, torch.Tensor] | None
    additional_outputs: dict[str, Any] | None


@runtime_checkable
class CallbackContext(Protocol):
    """Everything a callback may use. Anything else of the engine is private to it."""

    @property
    def counter(self) -> UpdateCounter:
        """Epoch, update and sample counters, and the run's end."""
        ...

    @property
    def model(self) -> Model:
        """The model being trained (unwrapped: its ``name``, ``leaf_models()`` and config are available)."""
        ...

    @property
    def forward_model(self) -> torch.nn.Module:
        """The module to run forward passes with (the model, or its DDP / compiled wrapper)."""
        ...

    @property
    def device(self) -> torch.device:
        """The device the model is on."""
        ...

    @property
    def datasets(self) -> Mapping[str, Any]:
        """The run's datasets by key."""
        ...

    def iterate(self, dataset_key: str, batch_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Batches of a whole dataset in order, on :attr:`device`, sharded over processes (unpadded)."""
        ...

    def compute_losses(self, batch: dict[str, Any], model: torch.nn.Module) -> StepResult:
        """The trainer's forward and loss for one batch (as in training, without the backward)."""
        ...

    @property
    def metrics(self) -> MetricSink:
        """Where to log scalars for the current update."""
        ...

    @property
    def summary(self) -> dict[str, Any]:
        """Values for the end-of-run summary that are not metrics (dataset sizes, parameter counts)."""
        ...

    @property
    def optimizers(self) -> Mapping[str, Any]:
        """The optimizer wrappers by model name (``current_lr()``, ``current_wd()``, ``config``)."""
        ...

    @property
    def trainer_config(self) -> Any:
        """The trainer's config (read only)."""
        ...

    def save_checkpoint(
        self,
        tag: str,
        *,
        weights: bool = True,
        optim: bool = True,
        trainer_state: bool = True,
        update_latest: bool = False,
        model_names: list[str] | None = None,
        ephemeral: bool = False,
    ) -> None:
        """Write one checkpoint set of the run (a collective under several processes: call it on every rank)."""
        ...

    def save_files(self, tag: str, files: Mapping[str, Any]) -> None:
        """Write extra files (e.g. averaged weights) as one complete checkpoint set ``tag`` (rank 0 writes)."""
        ...

    def prune_checkpoints(self, keep_last: int) -> None:
        """Keep only the newest ``keep_last`` periodic sets (rank 0 deletes)."""
        ...

    def all_reduce_mean(self, value: torch.Tensor) -> torch.Tensor:
        """Mean of ``value`` over processes (the identity in one process); every rank must call it."""
        ...

    def all_gather_cat(self, value: torch.Tensor) -> torch.Tensor:
        """``value`` of every process concatenated in rank order (the identity in one process)."""
        ...

    @property
    def is_rank0(self) -> bool:
        """Whether this process writes files."""
        ...

    @property
    def rank(self) -> int:
        """This process's rank."""
        ...

    @property
    def world_size(self) -> int:
        """How many processes train."""
        ...

    @property
    def run_dir(self) -> Path:
        """The run directory."""
        ...

    @property
    def run_id(self) -> str:
        """The run's id."""
        ...

    @property
    def eval_only(self) -> bool:
        """Whether the run only evaluates (a ``max_*`` is 0)."""
        ...

    @property
    def interrupted(self) -> bool:
        """Whether a signal stopped training before its end."""
        ...
