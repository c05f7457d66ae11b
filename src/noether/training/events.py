"""The engine's implementation of :class:`~noether.core.callbacks.context.CallbackContext`.

A thin view over the trainer: callbacks see exactly the members of the protocol.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import torch

from noether.core.callbacks.context import MetricSink, StepResult
from noether.core.models.base import Model
from noether.core.time import UpdateCounter
from noether.training import distributed
from noether.training.checkpointing import Checkpointer
from noether.training.context import RunContext
from noether.training.loading import Loaders


class Engine(Protocol):
    """What the context reads of the trainer (declared here so that this module need not import it)."""

    config: Any
    context: RunContext
    counter: UpdateCounter
    model: Model
    train_model: torch.nn.Module
    loaders: Loaders
    log_writer: Any
    summary: dict[str, Any]
    optimizers: dict[str, Any]
    checkpointer: Checkpointer
    eval_only: bool

    @property
    def interrupted(self) -> bool: ...

    def train_step(self, batch: dict[str, Any], model: torch.nn.Module) -> Any: ...

    def save_checkpoint(self, tag: str, *, weights: bool = True, optim: bool = True,
                        trainer_state: bool = True, update_latest: bool = False,
                        model_names: list[str] | None = None, ephemeral: bool = False) -> None: ...


class EngineContext:
    """What a callback may use of the running trainer."""

    def __init__(self, trainer: Engine) -> None:
        self._trainer = trainer
        self._context = trainer.context

    @property
    def counter(self) -> UpdateCounter:
        """Epoch, update and sample counters."""
        return self._trainer.counter

    @property
    def model(self) -> Model:
        """The model being trained (unwrapped)."""
        return self._trainer.model

    @property
    def forward_model(self) -> torch.nn.Module:
        """The module forward passes run with (DDP / compiled wrapper, or the model)."""
        return self._trainer.train_model

    @property
    def device(self) -> torch.device:
        """The model's device."""
        return self._context.device

    @property
    def datasets(self) -> Mapping[str, Any]:
        """The run's datasets."""
        return self._context.datasets

    def iterate(self, dataset_key: str, batch_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Batches of a whole dataset on the device, this process's shard."""
        return self._trainer.loaders.iterate(dataset_key, batch_size)

    def compute_losses(self, batch: dict[str, Any], model: torch.nn.Module) -> StepResult:
        """The trainer's ``train_step`` (forward and loss) for one batch."""
        return self._trainer.train_step(batch, model)

    @property
    def metrics(self) -> MetricSink:
        """The metric sink of the current update."""
        return self._trainer.log_writer

    @property
    def summary(self) -> dict[str, Any]:
        """Non-metric values for the run summary."""
        return self._trainer.summary

    @property
    def optimizers(self) -> Mapping[str, Any]:
        """The optimizer wrappers by model name."""
        return self._trainer.optimizers

    @property
    def trainer_config(self) -> Any:
        """The trainer's config."""
        return self._trainer.config

    def save_checkpoint(self, tag: str, *, weights: bool = True, optim: bool = True, trainer_state: bool = True,
                        update_latest: bool = False, model_names: list[str] | None = None,
                        ephemeral: bool = False) -> None:
        """Write a checkpoint set (a collective under several processes)."""
        self._trainer.save_checkpoint(tag, weights=weights, optim=optim, trainer_state=trainer_state,
                                      update_latest=update_latest, model_names=model_names, ephemeral=ephemeral)

    def save_files(self, tag: str, files: Mapping[str, Any]) -> None:
        """Write extra files as one complete set (rank 0)."""
        self._trainer.checkpointer.save_files(tag, files)

    def prune_checkpoints(self, keep_last: int) -> None:
        """Keep the newest ``keep_last`` periodic sets."""
        self._trainer.checkpointer.prune(keep_last)

    def all_reduce_mean(self, value: torch.Tensor) -> torch.Tensor:
        """Mean over processes."""
        return distributed.all_reduce_mean(value)

    def all_gather_cat(self, value: torch.Tensor) -> torch.Tensor:
        """Concatenation over processes in rank order."""
        return distributed.all_gather_cat(value)

    @property
    def is_rank0(self) -> bool:
        """Whether this process writes files."""
        return self._context.is_rank0

    @property
    def rank(self) -> int:
        """This process's rank."""
        return self._context.rank

    @property
    def world_size(self) -> int:
        """The number of processes."""
        return self._context.world_size

    @property
    def run_dir(self) -> Path:
        """The run directory."""
        return self._context.run_dir

    @property
    def run_id(self) -> str:
        """The run id."""
        return self._context.run_id

    @property
    def eval_only(self) -> bool:
        """Whether the run only evaluates."""
        return self._trainer.eval_only

    @property
    def interrupted(self) -> bool:
        """Whether a signal stopped training."""
        return self._trainer.interrupted
