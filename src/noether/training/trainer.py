"""The trainer: one loop from the first update to the last, exact counters, callbacks and checkpoints.

Read :meth:`BaseTrainer.train` top to bottom to follow an update: fetch micro-batches, forward
(:meth:`train_step`), backward, optimizer step, counters, callbacks, log flush. The firing points are the
:class:`~noether.core.callbacks.context.Event` values; what is saved is the :class:`~noether.training.state.TrainState`.

A project subclasses the trainer and overrides :meth:`BaseTrainer.loss_compute` (and, when the batch needs more
than ``model(**inputs)``, :meth:`BaseTrainer.train_step`); :meth:`BaseTrainer.get_trainer_callbacks` adds
callbacks that belong to the trainer.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch

from noether.core.callbacks.base import CallbackBase
from noether.core.layout import RunLayout
from noether.core.models.base import Model
from noether.core.schemas.trainers import BaseTrainerConfig
from noether.core.time import Unit
from noether.core.writers.checkpoints import LATEST, CheckpointStore
from noether.core.writers.log_writer import LogWriter
from noether.training.batching import BatchPlan, make_counter, plan_batches
from noether.training.callback_set import CallbackSet, call_each
from noether.training.checkpointing import Checkpointer
from noether.training.components import build_callbacks, build_optimizers
from noether.training.context import RunContext
from noether.training.distributed import any_process, unwrap, wrap_for_training
from noether.training.events import EngineContext
from noether.training.loading import Loaders, to_device
from noether.training.precision import make_autocast, make_grad_scaler
from noether.training.result import TrainerResult, check_batch_keys, to_result
from noether.training.rng import RngSnapshot, restore_rng_state
from noether.training.signals import StopRequest
from noether.training.state import TrainState
from noether.training.strategy import apply_fsdp, is_fsdp, is_sharded

logger = logging.getLogger("noether")

class TrainingInterrupted(Exception):
    """Training stopped on a signal after writing a checkpoint; the run can be resumed."""

    def __init__(self, tag: str) -> None:
        super().__init__(f"training interrupted by a signal; checkpoint '{tag}' written")
        self.tag = tag


class BaseTrainer:
    """Runs the training loop for one model.

    Built as ``Trainer(config, context=RunContext(...), model=model)`` by the runner, after the model: the
    constructor builds the optimizers and callbacks and restores a resume state. Override :meth:`loss_compute`;
    do not override :meth:`train`.
    """

    config_class = BaseTrainerConfig

    def __init__(self, config: BaseTrainerConfig, *, context: RunContext, model: Model,
                 interrupt_at_update: int | None = None) -> None:
        self.config = config
        self.context = context
        self.device = context.device
        self.eval_only = 0 in (config.max_epochs, config.max_updates, config.max_samples)
        self.plan: BatchPlan = plan_batches(
            effective_batch_size=config.effective_batch_size, max_batch_size=config.max_batch_size,
            world_size=context.world_size, disable_gradient_accumulation=config.disable_gradient_accumulation,
            eval_only=self.eval_only)
        self.counter = make_counter(config, context.datasets[context.train_dataset_key], context.train_dataset_key,
                                    eval_only=self.eval_only)
        self.loaders = Loaders(context, self.plan, config.effective_batch_size, self.counter.updates_per_epoch)
        layout = RunLayout(context.run_dir)
        self.log_writer = LogWriter(layout.metrics if context.is_rank0 else None, context.tracker, self.counter)
        # Files are written and fsynced by a writer thread; the loop only pays for serializing them.
        self.checkpoints = CheckpointStore(layout.checkpoints, background=True)
        if context.is_rank0:
            self.checkpoints.clean_leftovers()
        self.forward_properties = list(config.forward_properties or [])
        self.target_properties = list(config.target_properties or [])
        self._forward_props: dict[int, list[str]] = {}
        self._checked_batch_keys = False
        #: Values for the run summary that are not metrics (dataset sizes, parameter counts).
        self.summary: dict[str, Any] = {}
        self.model = model
        model.to(self.device)
        if is_fsdp(config) and context.world_size > 1:
            apply_fsdp(model, config.strategy)  # before the optimizers: they must hold the sharded parameters
        self.grad_scaler = make_grad_scaler(config.precision, self.device)
        self._autocast = make_autocast(config.precision, self.device)
        self.optimizers = build_optimizers(model)
        self.stop = StopRequest(save_on_sigint=config.save_on_sigint, interrupt_at_update=interrupt_at_update)
        self._interrupt_tag = ""
        #: Whether the loop stopped early for a signal (one after the last update lets the run complete).
        self._stopped_by_signal = False
        #: What callbacks may use of this trainer.
        self.callback_context = EngineContext(self)
        self.train_model: torch.nn.Module = model  # the DDP / compiled wrapper once training starts
        self.callbacks = build_callbacks(config, self.callback_context, model, self.get_trainer_callbacks)
        self.hooks = CallbackSet(self.callbacks)
        self.state = TrainState(self.counter, config.effective_batch_size, self.grad_scaler, self.callbacks,
                                self.log_writer, context.plugin_versions)
        self.checkpointer = Checkpointer(self.checkpoints, self.state, model, self.optimizers, run_id=context.run_id,
                                         is_rank0=context.is_rank0, world_size=context.world_size,
                                         sharded=is_sharded(model),
                                         full_weights_file=config.strategy is None or config.strategy.full_weights_file)
        self.checkpointer.before_write = self.log_writer.sync
        self._resume_rng = None
        self._setup: tuple[Any, ...] | None = None  # of the micro-steps, while the loop runs
        if context.resume is not None:
            self._resume_rng = self.checkpointer.restore(context.resume, rank=context.rank)
        self.train_model = wrap_for_training(model, config, self.device, context.world_size)

    # -- Methods meant to be overridden --------------------------------------------------------------------------
    def loss_compute(self, forward_output: Any, targets: dict[str, torch.Tensor]) -> Any:
        """The loss(es) of one batch.

        Return a tensor, a list of tensors, a dict of named tensors (summed into the total), or a tuple
        ``(losses, additional_outputs)``.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement loss_compute(forward_output, targets); "
            "or use kind 'noether.training.trainers.SupervisedTrainer'"
        )

    def train_step(self, batch: dict[str, Any], model: torch.nn.Module) -> TrainerResult:
        """Forward one (micro-)batch and compute its loss: ``model(**inputs)`` then :meth:`loss_compute`."""
        props = self._forward_props.get(id(model)) or self.forward_properties_for(model)
        if not self._checked_batch_keys:
            self._check_batch_keys(batch, props)
        # dict(zip(...)) rather than comprehensions: no Python frame per dict, once per micro-step.
        inputs = dict(zip(props, map(batch.__getitem__, props), strict=True))
        targets = dict(zip(self.target_properties, map(batch.__getitem__, self.target_properties), strict=True))
        output = model(**inputs)
        return self.to_result(self.loss_compute(output, targets))

    def get_trainer_callbacks(self) -> list[CallbackBase]:
        """Callbacks the trainer adds itself (with ``add_trainer_callbacks``); none by default.

        Called during ``BaseTrainer.__init__``: build them as ``Callback(config, ctx=self.callback_context)``.
        """
        return []

    # -- Helpers for subclasses ----------------------------------------------------------------------------------
    def forward_properties_for(self, model: torch.nn.Module) -> list[str]:
        """The model's own ``forward_properties`` when set, else the trainer's (looked up once per model)."""
        cached = self._forward_props.get(id(model))
        if cached is not None:
            return cached
        config = getattr(unwrap(model), "config", None)  # DDP does not forward attribute access
        own = getattr(config, "forward_properties", None)
        props = list(own) if own else self.forward_properties
        self._forward_props[id(model)] = props
        return props

    @staticmethod
    def to_result(losses: Any) -> TrainerResult:
        """Normalise what :meth:`loss_compute` returned into a :class:`TrainerResult`."""
        return to_result(losses)

    def _check_batch_keys(self, batch: dict[str, Any], props: list[str]) -> None:
        self._checked_batch_keys = True
        # A model's own forward_properties (when set) is the list that was written wrong, not the trainer's.
        own = props != self.forward_properties
        path = ("model", "forward_properties") if own else ("trainer", "forward_properties")
        check_batch_keys(batch, props, self.target_properties, path)

    # -- Services (also used by callbacks through the context) ---------------------------------------------------
    @property
    def nan_count(self) -> int:
        """Non-finite losses skipped in a row."""
        return self.state.nan_count

    @property
    def interrupted(self) -> bool:
        """Whether a signal (or ``interrupt_at_update``) stopped training before its end."""
        return self._stopped_by_signal

    def iterate_dataset(self, dataset_key: str, batch_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Batches of a whole dataset in order, on the trainer's device (for evaluation callbacks)."""
        return self.loaders.iterate(dataset_key, batch_size)

    def to_device(self, batch: Any) -> Any:
        """Move a batch (dict of tensors) to the trainer's device; a no-op on CPU."""
        return to_device(batch, self.device)

    def save_checkpoint(self, tag: str, *, weights: bool = True, optim: bool = True, trainer_state: bool = True,
                        update_latest: bool = False, model_names: list[str] | None = None,
                        ephemeral: bool = False) -> None:
        """Write one checkpoint set (rank 0 writes); ``update_latest`` moves ``latest`` to it when complete."""
        self.checkpointer.save(tag, weights=weights, optim=optim, trainer_state=trainer_state,
                               update_latest=update_latest, model_names=model_names, ephemeral=ephemeral)

    def save_resumable(self, tag: str, *, ephemeral: bool = False) -> None:
        """A complete checkpoint (weights, optimizer, trainer state) that ``latest`` then points to."""
        self.save_checkpoint(tag, update_latest=True, ephemeral=ephemeral)

    # -- The loop ------------------------------------------------------------------------------------------------
    def train(self, model: Model | None = None) -> None:
        """Train to the configured end (or evaluate once when a ``max_*`` is 0)."""
        if model is not None and model is not self.model:
            raise ValueError("train(model): the trainer trains the model it was built with")
        self.stop.install()
        try:
            self._call_each(lambda cb: cb.before_training(self.counter), self.callbacks, "before_training")
            if self.eval_only:
                self._evaluate_once()
            elif self.stop.requested and not self.counter.is_finished:  # a signal during start-up
                self._stop_for_signal()
            elif not self.counter.is_finished:
                self._loop()
            self._call_each(lambda cb: cb.after_training(self.counter), self.callbacks, "after_training")
            self.log_writer.flush()
            if self.context.is_rank0 and not self._stopped_by_signal:
                self.checkpoints.remove_ephemeral()  # they only backed ``latest`` while the run was going
        finally:
            try:  # the last background write finishes while signals only set the flag
                self.log_writer.close()
                self.checkpoints.close()
            finally:
                self.stop.restore()
        if self._stopped_by_signal:
            raise TrainingInterrupted(self._interrupt_tag)
        if self.stop.requested:
            logger.warning("a stop signal arrived after the last update; the run completed (checkpoint 'last')")

    def _stop_for_signal(self) -> None:
        """Write the resumable ``<tag>.signal_interrupt`` set and mark the run as stopped by a signal."""
        self.stop.request()
        self._stopped_by_signal = True
        self._interrupt_tag = f"{self.counter.current.tag}.signal_interrupt"
        self.save_resumable(self._interrupt_tag)

    def _evaluate_once(self) -> None:
        """``max_* = 0``: run the evaluating callbacks once with ``Unit.EVAL``, train nothing."""
        self.train_model.eval()
        with torch.no_grad():
            self._call_each(lambda cb: cb.periodic_callback(Unit.EVAL, self.counter), self.hooks.evaluation, "eval")
        self.log_writer.flush()

    def _loop(self) -> None:
        counter = self.counter
        optimizers = list(self.optimizers.values())
        update_hooks = self.hooks.update_step
        # A disabled scaler (all but float16 on CUDA) passes every call through: skip it.
        scaler = self.grad_scaler if self.grad_scaler.is_enabled() else None
        total_updates = counter.end_update
        upe = counter.updates_per_epoch
        loader_iter = self.loaders.training_batches(counter.update)
        if self._resume_rng is not None:
            restore_rng_state(self._resume_rng)
        self.train_model.train()
        self._setup = self._micro_step_setup()
        while not counter.is_finished:
            for wrapper in optimizers:
                wrapper.schedule_step(counter.update, total_updates, upe)
            skipped, times = self._micro_steps(loader_iter, bool(optimizers))
            for wrapper in optimizers:
                if not skipped:
                    wrapper.step(scaler)
                wrapper.zero_grad()
            if update_hooks:
                for cb in update_hooks:
                    cb.track_after_update_step(counter, times)
            epoch_ended = counter.advance()
            if self._after_update(epoch_ended):
                break

    def _micro_step_setup(self) -> tuple[Any, ...]:
        """What every update's micro-steps use, looked up once per loop (not once per update)."""
        device = self.device
        # Full precision on CPU needs neither a device copy, nor an autocast context, nor loss scaling.
        return (self.plan.accumulation_steps, self.train_model, self.counter, device, device.type == "cpu",
                self.hooks.accumulation_step, self.config.skip_nan_loss,
                None if self._autocast is contextlib.nullcontext else self._autocast,
                self.grad_scaler.scale if self.grad_scaler.is_enabled() else None)

    def _micro_steps(self, loader_iter: Iterator[Any], has_optimizer: bool) -> tuple[bool, dict[str, float]]:
        """Forward and backward every micro-batch of one update; returns (skipped for NaN, timings)."""
        setup = self._setup or self._micro_step_setup()
        steps, model, counter, device, on_cpu, accumulation_hooks, skip_nan, autocast, scale = setup
        perf = time.perf_counter
        skipped = False
        data_wait = forward = backward = 0.0
        for micro in range(steps):
            t0 = perf()
            batch = next(loader_iter)
            if not on_cpu:
                batch = to_device(batch, device)
            t1 = perf()
            if autocast is None:
                result = self.train_step(batch, model)
            else:
                with autocast():
                    result = self.train_step(batch, model)
            total = result.total_loss
            t2 = perf()
            if skip_nan and self._non_finite(total):
                skipped = True
            elif has_optimizer:
                loss = total / steps if steps > 1 else total
                (loss if scale is None else scale(loss)).backward()
            t3 = perf()
            data_wait += t1 - t0
            forward += t2 - t1
            backward += t3 - t2
            if accumulation_hooks:
                detached = total.detach()
                # A single loss is the total itself: one detached tensor for both keys (callbacks may then
                # accumulate it once).
                losses = {"total": detached}
                to_log = result.losses_to_log
                if to_log:
                    for key, value in to_log.items():  # a loop, not a comprehension: no frame per micro-step
                        losses[key] = detached if value is total else value.detach()
                for cb in accumulation_hooks:
                    cb.track_after_accumulation_step(counter, batch, losses, result.additional_outputs, steps, micro)
        if skip_nan and not skipped:
            self.state.nan_count = 0
        return skipped, {"data_wait": data_wait, "forward": forward, "backward": backward, "update": forward + backward}

    def _non_finite(self, total: torch.Tensor) -> bool:
        # Every rank skips the same updates: DDP's all-reduce would wait for a missing backward.
        if not any_process(not bool(torch.isfinite(total))):
            return False
        self.state.nan_count += 1
        if self.state.nan_count > self.config.skip_nan_loss_max_count:
            raise RuntimeError(f"encountered {self.state.nan_count} non-finite losses in a row "
                               f"(skip_nan_loss_max_count={self.config.skip_nan_loss_max_count})")
        return True

    def _after_update(self, epoch_ended: bool) -> bool:
        """Fire due callbacks, stop on request; returns whether to stop. Callbacks never move the training RNG
        streams (resume stays exact)."""
        counter = self.counter
        # A signal during the last update lets the run complete (``last`` is written, exit status 0).
        interrupt = self.stop.check(counter.update) and not counter.is_finished
        if self.context.world_size > 1:
            # A signal reaches the ranks at different updates (or only one rank); all must stop after the same
            # update, and decide it once here: a signal arriving later is acted on after the next update.
            interrupt = any_process(interrupt)
        due = self.hooks.due(counter, epoch_ended)
        if not due and not interrupt:
            self.log_writer.flush()  # what an update's own hooks logged, if anything
            return False
        stop = False
        may_use_rng = evaluating = False
        for cb, _ in due:  # (a loop, not two generator expressions: this runs at every firing)
            may_use_rng = may_use_rng or cb.may_use_rng
            evaluating = evaluating or cb.needs_eval_mode
        # Fork the RNG streams only when a due callback may draw from them.
        snapshot = RngSnapshot.take() if may_use_rng else None
        self.checkpointer.rng_snapshot = snapshot
        # Eval mode once for the whole group, and only when a due callback runs the model: switching every
        # module's mode costs about as much as a small update's data fetch.
        if evaluating:
            self.train_model.eval()
        self.checkpointer.defer()
        grad_enabled = torch.is_grad_enabled()
        torch.set_grad_enabled(False)  # (as a function: no context-manager object per firing)
        try:
            early = self._call_each(self._fire, due, "periodic")
        finally:
            torch.set_grad_enabled(grad_enabled)
            if evaluating:
                self.train_model.train()
            if snapshot is not None:
                snapshot.restore()
        # The update's metrics row first, then the checkpoints its callbacks asked for: a kill right after
        # a checkpoint loses neither the row nor a callback's work of this update.
        self.log_writer.flush()
        self.checkpointer.write_deferred()
        if early:
            self.save_resumable(f"{counter.current.tag}.early_exit")
            stop = True
        if interrupt:
            self._stop_for_signal()
            stop = True
        self.checkpointer.rng_snapshot = None
        self.log_writer.flush()
        return stop

    def _fire(self, due: tuple[Any, Unit]) -> None:
        due[0].periodic_callback(due[1], self.counter)

    def _call_each(self, call: Callable[[Any], None], items: list[Any], phase: str) -> bool:
        """Call every item (all run even if one fails; then an ``.error`` set is written). Returns whether an
        early stop was requested."""
        def on_error() -> None:
            self.checkpointer.drop_deferred()
            self.save_resumable(f"{self.counter.current.tag}.error")

        return call_each(call, items, phase, on_error)


__all__ = ["LATEST", "BaseTrainer", "TrainerResult", "TrainingInterrupted"]
