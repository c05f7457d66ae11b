"""The trainer: one loop from the first update to the last, exact counters, callbacks and checkpoints.

Read :meth:`BaseTrainer.train` top to bottom to follow an update: fetch micro-batches, forward
(:meth:`train_step`), backward, optimizer step, counters, callbacks, log flush.

A project subclasses the trainer and overrides :meth:`BaseTrainer.loss_compute` (and, when the batch needs more
than ``model(**inputs)``, :meth:`BaseTrainer.train_step`); :meth:`BaseTrainer.get_trainer_callbacks` adds
callbacks that belong to the trainer.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import torch

from noether.core.callbacks.base import CallbackBase, EarlyStopIteration, PeriodicCallback, overrides
from noether.core.models.base import Model
from noether.core.schemas.trainers import BaseTrainerConfig
from noether.core.writers.checkpoints import LATEST, CheckpointStore, file_name
from noether.core.writers.log_writer import LogWriter
from noether.training.batching import BatchPlan, plan_batches
from noether.training.context import RunContext
from noether.training.counters import UpdateCounter
from noether.training.result import TrainerResult
from noether.training.rng import RngSnapshot, restore_rng_state
from noether.training.sampler import ResumableBatchSampler

logger = logging.getLogger("noether")

_DTYPES = {"float16": torch.float16, "fp16": torch.float16, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}


class TrainingInterrupted(Exception):
    """Training stopped on a signal after writing a checkpoint; the run can be resumed."""

    def __init__(self, tag: str) -> None:
        super().__init__(f"training interrupted by a signal; checkpoint '{tag}' written")
        self.tag = tag


class BaseTrainer:
    """Runs the training loop for one model.

    Built as ``Trainer(config, context=RunContext(...))`` by the runner. Override :meth:`loss_compute`;
    do not override :meth:`train`.
    """

    config_class = BaseTrainerConfig

    def __init__(self, config: BaseTrainerConfig, *, context: RunContext) -> None:
        self.config = config
        self.context = context
        self.device = context.device
        train_set = context.datasets[context.train_dataset_key]
        self.train_dataset = train_set
        self.eval_only = 0 in (config.max_epochs, config.max_updates, config.max_samples)
        self.plan: BatchPlan = plan_batches(
            effective_batch_size=config.effective_batch_size,
            max_batch_size=config.max_batch_size,
            world_size=context.world_size,
            disable_gradient_accumulation=config.disable_gradient_accumulation,
            eval_only=self.eval_only,
        )
        self.updates_per_epoch = len(train_set) // config.effective_batch_size
        if self.updates_per_epoch == 0 and not self.eval_only:
            raise ValueError(
                f"the training dataset '{context.train_dataset_key}' has {len(train_set)} samples, fewer than "
                f"effective_batch_size={config.effective_batch_size}"
            )
        self.counter = UpdateCounter.from_limits(
            updates_per_epoch=max(1, self.updates_per_epoch),
            effective_batch_size=config.effective_batch_size,
            max_epochs=config.max_epochs,
            max_updates=config.max_updates,
            max_samples=config.max_samples,
        )
        if config.start_at_epoch is not None:
            self.counter.start_at(config.start_at_epoch * self.counter.updates_per_epoch)
        self.log_writer = LogWriter(
            context.run_dir / "metrics.jsonl" if context.is_rank0 else None, context.tracker, self.counter
        )
        # Files are written and fsynced by a writer thread; the loop only pays for serializing them.
        self.checkpoints = CheckpointStore(context.checkpoint_dir, background=True)
        self.forward_properties = list(config.forward_properties or [])
        self.target_properties = list(config.target_properties or [])
        self.optimizers: dict[str, Any] = {}
        self.callbacks: list[CallbackBase] = []
        self.model: Model | None = None
        self.grad_scaler = self._make_grad_scaler()
        self._autocast = self._make_autocast()
        self.nan_count = 0
        self._forward_props: dict[int, list[str]] = {}
        self._resume_rng: dict[str, Any] | None = None
        self._rng_snapshot: RngSnapshot | None = None
        #: Values for the run summary that are not metrics (dataset sizes, parameter counts).
        self.summary: dict[str, Any] = {}
        self._stop_signal: int | None = None
        self._checked_batch_keys = False

    # ------------------------------------------------------------------------------------------------------
    # Methods meant to be overridden
    # ------------------------------------------------------------------------------------------------------
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
        props = self.forward_properties_for(model)
        if not self._checked_batch_keys:
            self._check_batch_keys(batch, props)
        inputs = {key: batch[key] for key in props}
        targets = {key: batch[key] for key in self.target_properties}
        output = model(**inputs)
        return self.to_result(self.loss_compute(output, targets))

    def get_trainer_callbacks(self) -> list[CallbackBase]:
        """Callbacks the trainer adds itself (with ``add_trainer_callbacks``); none by default."""
        return []

    # ------------------------------------------------------------------------------------------------------
    # Helpers for subclasses
    # ------------------------------------------------------------------------------------------------------
    def forward_properties_for(self, model: torch.nn.Module) -> list[str]:
        """The model's own ``forward_properties`` when set, else the trainer's (looked up once per model)."""
        cached = self._forward_props.get(id(model))
        if cached is not None:
            return cached
        from noether.training.distributed import unwrap

        config = getattr(unwrap(model), "config", None)  # DDP does not forward attribute access
        own = getattr(config, "forward_properties", None)
        props = list(own) if own else self.forward_properties
        self._forward_props[id(model)] = props
        return props

    @staticmethod
    def to_result(losses: Any) -> TrainerResult:
        """Normalise what :meth:`loss_compute` returned into a :class:`TrainerResult`."""
        if isinstance(losses, TrainerResult):
            return losses
        additional = None
        if isinstance(losses, tuple):
            losses, additional = losses
        if isinstance(losses, torch.Tensor):
            named = {"loss": losses}
        elif isinstance(losses, list):
            named = {f"loss_{i}": value for i, value in enumerate(losses)}
        elif isinstance(losses, dict):
            named = dict(losses)
        else:
            raise TypeError(f"loss_compute returned {type(losses).__name__}; expected a tensor, list or dict")
        if not named:
            raise ValueError("No losses computed: loss_compute returned an empty collection")
        if "total" in named:
            total: torch.Tensor = named["total"]
        elif len(named) == 1:
            total = next(iter(named.values()))
        else:
            total = torch.stack([v.reshape(()) for v in named.values()]).sum()
        return TrainerResult(total, {k: v for k, v in named.items() if k != "total"}, additional)

    def _check_batch_keys(self, batch: dict[str, Any], props: list[str]) -> None:
        self._checked_batch_keys = True
        wanted = set(props) | set(self.target_properties)
        missing = sorted(wanted - set(batch))
        if missing:
            raise KeyError(
                f"the batch has no {', '.join(repr(m) for m in missing)}; it has {sorted(batch)}. "
                "Check forward_properties / target_properties against the dataset's properties."
            )

    # ------------------------------------------------------------------------------------------------------
    # Set-up
    # ------------------------------------------------------------------------------------------------------
    def _make_grad_scaler(self) -> torch.amp.GradScaler:
        enabled = self.config.precision in ("float16", "fp16") and self.device.type == "cuda"
        return torch.amp.GradScaler(self.device.type, enabled=enabled)

    def _make_autocast(self) -> Callable[[], contextlib.AbstractContextManager[Any]]:
        dtype = _DTYPES.get(self.config.precision)
        if dtype is None:
            return contextlib.nullcontext
        device_type = self.device.type

        def autocast() -> contextlib.AbstractContextManager[Any]:
            return torch.autocast(device_type, dtype=dtype)

        return autocast

    def _build_optimizers(self, model: Model) -> None:
        from noether.core.optimizer.wrapper import OptimizerWrapper

        root_config = model.config.optimizer_config
        if root_config is not None and not model.is_frozen:
            self.optimizers[model.name] = OptimizerWrapper(root_config, model)
            return
        for name, leaf in model.leaf_models():
            cfg = leaf.config.optimizer_config
            if leaf is not model and cfg is not None and not leaf.is_frozen:
                self.optimizers[name] = OptimizerWrapper(cfg, leaf)

    def _build_callbacks(self, model: Model) -> None:
        from noether.core.callbacks.defaults import default_callbacks
        from noether.core.registry import get_registry

        registry = get_registry()
        for cfg in self.config.callbacks or []:
            kind = getattr(cfg, "kind", None) or getattr(cfg, "name")  # noqa: B009 (every callback config has a name)
            self.callbacks.append(registry.build("callback", cfg, kind=kind, trainer=self, model=model))
        if self.config.add_trainer_callbacks:
            self.callbacks.extend(self.get_trainer_callbacks())
        if self.config.add_default_callbacks:
            self.callbacks.extend(default_callbacks(self, model))
        keys: dict[str, CallbackBase] = {}
        for cb in self.callbacks:
            if cb.state_dict() is None:
                continue
            other = keys.get(cb.checkpoint_key)
            if other is not None:
                raise ValueError(
                    f"two stateful callbacks share the checkpoint key '{cb.checkpoint_key}' "
                    f"({type(other).__name__} and {type(cb).__name__}); set a unique 'id' on each"
                )
            keys[cb.checkpoint_key] = cb
        periodic = [cb for cb in self.callbacks if isinstance(cb, PeriodicCallback)]
        self._periodic = periodic
        self._accumulation_hooks = [cb for cb in periodic if overrides(cb, "track_after_accumulation_step")]
        self._update_hooks = [cb for cb in periodic if overrides(cb, "track_after_update_step")]
        self._firing = [cb for cb in periodic if overrides(cb, "periodic_callback")]
        # Online losses fire first so that evaluation callbacks of the same step can log loss differences.
        from noether.core.callbacks.losses import OnlineLossCallback

        firing = sorted(self._firing, key=lambda cb: not isinstance(cb, OnlineLossCallback))
        self._update_firing = [cb for cb in firing if cb.every_n_updates is not None or cb.every_n_samples is not None]
        self._epoch_firing = [cb for cb in firing if cb.every_n_epochs is not None]

    def make_loader(self, start_update: int) -> torch.utils.data.DataLoader[Any]:
        """The training loader for the rest of the epoch that contains ``start_update``."""
        sampler = ResumableBatchSampler(
            len(self.train_dataset),
            effective_batch_size=self.config.effective_batch_size,
            accumulation_steps=self.plan.accumulation_steps,
            seed=self.context.seed,
            rank=self.context.rank,
            world_size=self.context.world_size,
            start_update=start_update,
            single_epoch=True,
        )
        return self.context_loader(self.train_dataset, batch_sampler=sampler)

    def training_batches(self, start_update: int) -> Iterator[Any]:
        """Micro-batches from ``start_update`` on, epoch after epoch.

        Each epoch gets a fresh loader after ``collate_fn.set_epoch(epoch)``, so random per-sample processing
        depends only on (seed, epoch, sample) - also inside worker processes, and also after a resume.
        """
        upe = self.counter.updates_per_epoch
        update = start_update
        set_epoch = getattr(getattr(self.train_dataset, "collate_fn", None), "set_epoch", None)
        while True:
            epoch = update // upe
            if set_epoch is not None:
                set_epoch(epoch)
            yield from self.make_loader(update)
            update = (epoch + 1) * upe

    def context_loader(self, dataset: Any, collate_fn: Any = None, **kwargs: Any) -> torch.utils.data.DataLoader[Any]:
        """A DataLoader over ``dataset`` with the run's workers and the dataset's collator.

        An explicit generator keeps the loader from consuming the global RNG, which resume restores exactly.
        """
        collate = collate_fn or getattr(dataset, "collate_fn", None)
        workers = self.context.num_workers
        return torch.utils.data.DataLoader(
            dataset,
            collate_fn=collate,
            num_workers=workers,
            persistent_workers=False,
            pin_memory=self.device.type == "cuda",
            generator=torch.Generator().manual_seed(self.context.seed),
            **kwargs,
        )

    def iterate_dataset(self, dataset_key: str, batch_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Batches of a whole dataset in order, on the trainer's device (for evaluation callbacks)."""
        dataset = self.context.datasets[dataset_key]
        size = batch_size or self.plan.micro_batch_size
        if self.context.world_size > 1:
            from noether.training.distributed import shard_indices

            if len(dataset) < self.context.world_size:  # an empty shard would skip the gather and deadlock
                raise ValueError(f"dataset '{dataset_key}' has {len(dataset)} samples, fewer than the "
                                 f"{self.context.world_size} processes that evaluate it")
            indices = shard_indices(len(dataset), self.context.rank, self.context.world_size)
            collate = getattr(dataset, "collate_fn", None)  # a Subset would hide the dataset's collator
            dataset = torch.utils.data.Subset(dataset, indices)
        else:
            collate = getattr(dataset, "collate_fn", None)
        loader = self.context_loader(dataset, collate_fn=collate, batch_size=size, shuffle=False, drop_last=False)
        for batch in loader:
            yield self.to_device(batch)

    def to_device(self, batch: Any) -> Any:
        """Move a batch (dict of tensors) to the trainer's device; a no-op on CPU."""
        if self.device.type == "cpu":
            return batch
        if isinstance(batch, dict):
            return {k: v.to(self.device, non_blocking=True) if isinstance(v, torch.Tensor) else v
                    for k, v in batch.items()}
        return batch

    # ------------------------------------------------------------------------------------------------------
    # Checkpoints
    # ------------------------------------------------------------------------------------------------------
    def state_dict(self, rng_state: dict[str, Any] | None = None) -> dict[str, Any]:
        """The trainer file: counters, callback states, grad scaler, RNG states, NaN count, summary."""
        callback_states = {}
        for cb in self.callbacks:
            state = cb.state_dict()
            if state is not None:
                callback_states[cb.checkpoint_key] = state
        return {
            "training_iteration": self.counter.current.as_dict(),
            "updates_per_epoch": self.counter.updates_per_epoch,
            "effective_batch_size": self.config.effective_batch_size,
            "callback_state_dicts": callback_states,
            "grad_scaler": self.grad_scaler.state_dict(),
            "rng": rng_state if rng_state is not None else RngSnapshot.take().to_checkpoint(),
            "nan_count": self.nan_count,
            "log_writer": self.log_writer.state_dict(),
            "plugins": dict(self.context.plugin_versions),
        }

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
        """Write one checkpoint set (rank 0 only); ``update_latest`` moves ``latest`` to it when complete."""
        per_rank = None
        if trainer_state and self.context.world_size > 1 and not tag.endswith(".error"):
            from noether.training.distributed import gather_rank_states

            # A collective (every rank saves trainer states at the same points); skipped for ".error", which
            # only the failing rank writes.
            per_rank = gather_rank_states(self, self._rng_snapshot)
        if not self.context.is_rank0 or self.model is None:
            return
        self.log_writer.sync()
        from noether.core.config.converter import unstructure

        iteration = self.counter.current.as_dict()
        files: dict[str, Any] = {}
        if weights:
            for name, leaf in self.model.leaf_models():
                if model_names and leaf.name not in model_names and name not in model_names:
                    continue
                files[file_name(name, tag, "model")] = {
                    "state_dict": leaf.state_dict(),
                    "checkpoint_tag": tag,
                    "training_iteration": iteration,
                    "run_id": self.context.run_id,
                    "model_config": unstructure(leaf.config),
                    "config_kind": leaf.config.config_kind,
                }
        if optim:
            for name, wrapper in self.optimizers.items():
                files[file_name(name, tag, "optim")] = wrapper.state_dict()
        if trainer_state:
            snapshot = self._rng_snapshot.to_checkpoint() if self._rng_snapshot is not None else None
            files[file_name(self.model.name, tag, "trainer")] = self.state_dict(snapshot)
            if per_rank is not None:
                files[file_name(self.model.name, tag, "trainer")]["per_rank"] = per_rank
        self.checkpoints.save(tag, files, iteration=iteration, update_latest=update_latest, ephemeral=ephemeral,
                              extra={"run_id": self.context.run_id, "plugins": self.context.plugin_versions})

    def save_resumable(self, tag: str, *, ephemeral: bool = False) -> None:
        """A complete checkpoint (weights, optimizer, trainer state) that ``latest`` then points to."""
        self.save_checkpoint(tag, update_latest=True, ephemeral=ephemeral)

    def _load_resume_state(self, model: Model) -> None:
        resume = self.context.resume
        if resume is None:
            return
        trainer_state = resume.trainer_state
        for name, leaf in model.leaf_models():
            leaf.load_state_dict(resume.model_states[name]["state_dict"])
        for name, wrapper in self.optimizers.items():
            if name in resume.optim_states:
                wrapper.load_state_dict(resume.optim_states[name])
            else:
                logger.warning("the checkpoint has no optimizer state for '%s'; starting it fresh", name)
        upe = trainer_state.get("updates_per_epoch")
        if upe is not None and upe != self.counter.updates_per_epoch:
            raise ValueError(
                f"the checkpoint was written with {upe} updates per epoch, this run has "
                f"{self.counter.updates_per_epoch}: the dataset or effective_batch_size changed"
            )
        self.counter.start_at(int(trainer_state["training_iteration"]["update"]))
        states = trainer_state.get("callback_state_dicts", {})
        for cb in self.callbacks:
            if cb.state_dict() is not None:
                if cb.checkpoint_key in states:
                    cb.load_state_dict(states[cb.checkpoint_key])
                else:
                    logger.warning("no state for callback '%s' in the checkpoint", cb.checkpoint_key)
        unknown = set(states) - {cb.checkpoint_key for cb in self.callbacks}
        for key in sorted(unknown):
            logger.warning("checkpoint holds state for callback '%s', which this run does not have", key)
        self.grad_scaler.load_state_dict(trainer_state["grad_scaler"])
        self.nan_count = int(trainer_state.get("nan_count", 0))
        self.log_writer.load_state_dict(trainer_state.get("log_writer", {}))
        self._resume_rng = trainer_state.get("rng")
        if self.context.world_size > 1 or trainer_state.get("per_rank"):
            from noether.training.distributed import load_rank_state

            self._resume_rng = load_rank_state(self, trainer_state) or self._resume_rng

    # ------------------------------------------------------------------------------------------------------
    # The loop
    # ------------------------------------------------------------------------------------------------------
    def train(self, model: Model) -> None:
        """Train ``model`` to the configured end (or evaluate once when a ``max_*`` is 0)."""
        self.model = model
        model.to(self.device)
        self._build_optimizers(model)
        self._build_callbacks(model)
        self._resume_rng = None
        self._rng_snapshot = None
        self._load_resume_state(model)
        self.train_model = self._wrap_model(model)
        previous_handlers = self._install_signal_handlers()
        try:
            self._call_each(lambda cb: cb.before_training(self.counter), self.callbacks, "before_training")
            if self.eval_only:
                self._evaluate_once()
            elif not self.counter.is_finished:
                self._loop()
            self._call_each(lambda cb: cb.after_training(self.counter), self.callbacks, "after_training")
            self.log_writer.flush()
        finally:
            self._restore_signal_handlers(previous_handlers)
            self.log_writer.close()
            self.checkpoints.close()
        if self._stop_signal is not None:
            raise TrainingInterrupted(self._interrupt_tag)

    def _wrap_model(self, model: Model) -> torch.nn.Module:
        wrapped: torch.nn.Module = model
        if self.context.world_size > 1:
            from noether.training.distributed import wrap_ddp

            wrapped = wrap_ddp(model, self.config, self.device)
        if self.config.use_torch_compile:
            wrapped = torch.compile(wrapped)  # type: ignore[assignment]
        return wrapped

    def _evaluate_once(self) -> None:
        """``max_* = 0``: run every periodic callback once with interval ``eval``, train nothing."""
        self.train_model.eval()
        with torch.no_grad():
            self._call_each(lambda cb: cb.periodic_callback("eval", self.counter), self._firing, "eval")
        self.log_writer.flush()

    def _loop(self) -> None:
        counter = self.counter
        plan = self.plan
        steps = plan.accumulation_steps
        model = self.train_model
        optimizers = list(self.optimizers.values())
        accumulation_hooks = self._accumulation_hooks
        update_hooks = self._update_hooks
        autocast = self._autocast
        scaler = self.grad_scaler
        skip_nan = self.config.skip_nan_loss
        from noether.training.distributed import any_process
        total_updates = counter.end_update
        upe = counter.updates_per_epoch
        perf = time.perf_counter

        loader_iter = self.training_batches(counter.update)
        if self._resume_rng is not None:
            restore_rng_state(self._resume_rng)
        model.train()
        while not counter.is_finished:
            for wrapper in optimizers:
                wrapper.schedule_step(counter.update, total_updates, upe)
            skipped = False
            data_wait = forward = backward = 0.0
            for micro in range(steps):
                t0 = perf()
                batch = self.to_device(next(loader_iter))
                t1 = perf()
                with autocast():
                    result = self.train_step(batch, model)
                total = result.total_loss
                t2 = perf()
                # Every rank skips the same updates: DDP's all-reduce would wait for a missing backward.
                if skip_nan and any_process(not bool(torch.isfinite(total))):
                    skipped = True
                    self.nan_count += 1
                    if self.nan_count > self.config.skip_nan_loss_max_count:
                        raise RuntimeError(
                            f"encountered {self.nan_count} non-finite losses in a row "
                            f"(skip_nan_loss_max_count={self.config.skip_nan_loss_max_count})"
                        )
                elif optimizers:
                    scaler.scale(total / steps if steps > 1 else total).backward()
                t3 = perf()
                data_wait += t1 - t0
                forward += t2 - t1
                backward += t3 - t2
                if accumulation_hooks:
                    losses = {"total": total.detach()}
                    if result.losses_to_log:
                        for key, value in result.losses_to_log.items():
                            losses[key] = value.detach()
                    for cb in accumulation_hooks:
                        cb.track_after_accumulation_step(
                            counter, batch, losses, result.additional_outputs, steps, micro
                        )
            if skip_nan and not skipped:
                self.nan_count = 0
            for wrapper in optimizers:
                if not skipped:
                    wrapper.step(scaler)
                wrapper.zero_grad()
            if update_hooks:
                times = {"data_wait": data_wait, "forward": forward, "backward": backward,
                         "update": forward + backward}
                for cb in update_hooks:
                    cb.track_after_update_step(counter, times)
            epoch_ended = counter.advance()
            self._after_update(epoch_ended)
            if self._stop_requested:
                break

    def _after_update(self, epoch_ended: bool) -> None:
        """Fire due callbacks; callbacks never move the training RNG streams (resume stays exact)."""
        counter = self.counter
        if self.interrupt_at_update is not None and counter.update >= self.interrupt_at_update:
            self._stop_signal = signal.SIGTERM
        interrupt = self._stop_signal is not None
        if self.context.world_size > 1:
            from noether.training.distributed import any_process

            # A signal reaches the ranks at different updates (or only one rank); all must stop after the same
            # update, and decide it once here: a signal arriving later is acted on after the next update.
            interrupt = any_process(interrupt)
        due = [(cb, kind) for cb in self._update_firing if (kind := cb.due_after_update(counter)) is not None]
        if epoch_ended:
            due += [(cb, "epoch") for cb in self._epoch_firing if cb.due_after_epoch(counter)]
        self._stop_requested = False
        if due or interrupt:
            # Callbacks must not move the training RNG streams; fork them only when a due callback may draw.
            snapshot = RngSnapshot.take() if any(cb.may_use_rng for cb, _ in due) else None
            self._rng_snapshot = snapshot
            self.train_model.eval()
            try:
                with torch.no_grad():
                    stop = self._call_each(lambda pair: pair[0].periodic_callback(pair[1], counter), due, "periodic")
            finally:
                self.train_model.train()
                if snapshot is not None:
                    snapshot.restore()
            if stop:
                self.save_resumable(f"{counter.current.tag}.early_exit")
                self._stop_requested = True
            if interrupt:
                self._stop_signal = self._stop_signal or signal.SIGTERM
                self._interrupt_tag = f"{counter.current.tag}.signal_interrupt"
                self.save_resumable(self._interrupt_tag)
                self._stop_requested = True
            self._rng_snapshot = None
        self.log_writer.flush()

    def _call_each(self, call: Callable[[Any], None], items: list[Any], phase: str) -> bool:
        """Call every item; all run even if one fails. Returns whether an early stop was requested."""
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
            with contextlib.suppress(Exception):
                self.save_resumable(f"{self.counter.current.tag}.error")
            raise error
        return stop

    # ------------------------------------------------------------------------------------------------------
    # Signals
    # ------------------------------------------------------------------------------------------------------
    _stop_requested = False
    _interrupt_tag = ""
    #: Stop after this update as if SIGTERM had arrived (``verify-resume`` uses it).
    interrupt_at_update: int | None = None

    @property
    def interrupted(self) -> bool:
        """Whether a signal (or ``interrupt_at_update``) stopped training before its end."""
        return self._stop_signal is not None

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # Only set a flag: the checkpoint is written at the end of the current update, outside the handler.
        self._stop_signal = signum

    def _install_signal_handlers(self) -> dict[int, Any]:
        previous: dict[int, Any] = {}
        wanted = [signal.SIGTERM] + ([signal.SIGINT] if self.config.save_on_sigint else [])
        if hasattr(signal, "SIGUSR1"):  # SLURM's preemption warning (sbatch --signal=USR1@<seconds>)
            wanted.append(signal.SIGUSR1)
        for sig in wanted:
            with contextlib.suppress(ValueError):  # not the main thread: signals cannot be handled here
                previous[sig] = signal.signal(sig, self._on_signal)
        return previous

    @staticmethod
    def _restore_signal_handlers(previous: dict[int, Any]) -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


__all__ = ["LATEST", "BaseTrainer", "TrainingInterrupted"]
