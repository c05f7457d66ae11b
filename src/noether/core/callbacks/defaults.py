"""The callbacks every run gets (``add_default_callbacks``): progress, losses, lr, timings, memory, sizes."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from typing import Any

import attrs
import torch

from noether.core.callbacks.base import CallbackBase, PeriodicCallback
from noether.core.callbacks.context import CallbackContext
from noether.core.callbacks.losses import OnlineLossCallback
from noether.core.schemas.callbacks import CallBackBaseConfig
from noether.core.time import Unit

logger = logging.getLogger("noether")


def _interval(trainer_config: Any, prefix: str, default_updates: int) -> dict[str, int]:
    for unit in ("epochs", "updates", "samples"):
        value = getattr(trainer_config, f"{prefix}_every_n_{unit}")
        if value is not None:
            return {f"every_n_{unit}": value}
    return {"every_n_updates": default_updates}


class DatasetStatsCallback(CallbackBase):
    """Records the length of every dataset in the run summary (``ds_stats/<key>/len``)."""

    def before_training(self, counter: Any) -> None:
        """Record dataset lengths."""
        for key, dataset in self.ctx.datasets.items():
            self.ctx.summary[f"ds_stats/{key}/len"] = len(dataset)


class ParamCountCallback(CallbackBase):
    """Records parameter counts per model in the run summary and the log."""

    def before_training(self, counter: Any) -> None:
        """Count trainable and frozen parameters."""
        model = self.ctx.model
        summary = self.ctx.summary
        leaves = list(model.leaf_models())
        entries = leaves if len(leaves) > 1 else [(model.name, model)]
        for name, module in [*entries, *([("total", model)] if len(leaves) > 1 else [])]:
            trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
            frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
            summary[f"param_count/{name}/trainable"] = trainable
            summary[f"param_count/{name}/frozen"] = frozen
            summary[f"param_count/{name}"] = trainable + frozen
            logger.info("parameters of %s: %s trainable, %s frozen", name, f"{trainable:,}", f"{frozen:,}")


class ProgressCallback(PeriodicCallback):
    """A live progress bar on a terminal (tqdm); otherwise one concise line per log interval."""

    may_use_rng = False
    needs_eval_mode = False
    runs_in_evaluation = False

    def before_training(self, counter: Any) -> None:
        """Open the bar; while it is open, log lines are printed above it (tqdm's logging redirection)."""
        self.start_time = time.perf_counter()
        self.start_update = counter.update
        self.bar: Any = None
        self._redirect: contextlib.ExitStack | None = None
        if sys.stderr.isatty() and self.ctx.is_rank0:
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            self.bar = tqdm(total=counter.end_update, initial=counter.update, unit="upd", dynamic_ncols=True,
                            leave=True)
            self._redirect = contextlib.ExitStack()
            self._redirect.enter_context(logging_redirect_tqdm(loggers=[logger]))

    def track_after_update_step(self, counter: Any, times: dict[str, float]) -> None:
        """Advance the bar by one update (tqdm redraws at most every 0.1 s)."""
        if self.bar is not None:
            self.bar.update(1)

    def periodic_callback(self, interval_type: Unit, counter: Any) -> None:
        """Show the loss on the bar, or write a progress line."""
        if not self.ctx.is_rank0:
            return
        logged = self.ctx.metrics.current
        loss_key = next((k for k in logged if k.startswith("loss/online/total/")), None)
        loss = logged.get(loss_key) if loss_key else None
        end = counter.end_update
        if self.bar is not None:
            self.bar.set_postfix(epoch=f"{counter.epoch_as_float:.2f}", loss=f"{loss:.4g}" if loss else "-",
                                 refresh=False)
            return
        elapsed = time.perf_counter() - self.start_time
        done = counter.update - self.start_update
        eta = elapsed / done * (end - counter.update) if done else 0.0
        loss_text = f" loss {loss:.5g}" if loss is not None else ""
        total_epochs = f"{end / counter.updates_per_epoch:.2f}".rstrip("0").rstrip(".")  # 2.5, not 2
        logger.info(
            "epoch %.2f/%s update %d/%d (%d%%)%s elapsed %s ETA %s",
            counter.epoch_as_float, total_epochs, counter.update, end,
            100 * counter.update // max(end, 1), loss_text, _fmt(elapsed), _fmt(eta),
        )

    def after_training(self, counter: Any) -> None:
        """Close the bar and end the logging redirection."""
        if self._redirect is not None:
            self._redirect.close()
            self._redirect = None
        if self.bar is not None:
            self.bar.close()


def _fmt(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class TrainTimeCallback(PeriodicCallback):
    """Logs ``train_time/<timer>/mean/<I>`` and ``.../max/<I>`` for data_wait, forward, backward, update."""

    may_use_rng = False
    needs_eval_mode = False
    runs_in_evaluation = False

    #: Updates whose timers are kept before they are added up (so that few are held between firings).
    FOLD_EVERY = 1024

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.sums: dict[str, float] = {}
        self.maxs: dict[str, float] = {}
        self.count = 0
        # Each update's timers, added up at the firing (one append per update, not four sums and maxima
        # between the optimizer step and the next forward pass: the same sums, in the same order).
        self._pending: list[dict[str, float]] = []
        self._names: dict[tuple[str, str], tuple[str, str]] = {}  # (timer, interval) -> the two metric names

    def track_after_update_step(self, counter: Any, times: dict[str, float]) -> None:
        """Keep the timers of one update (the trainer passes a new dict every update)."""
        pending = self._pending
        pending.append(times)
        if len(pending) >= self.FOLD_EVERY:
            self._fold()

    def _fold(self) -> None:
        sums, maxs = self.sums, self.maxs
        for times in self._pending:
            for key, value in times.items():
                sums[key] = sums.get(key, 0.0) + value
                if value > maxs.get(key, 0.0):
                    maxs[key] = value
        self.count += len(self._pending)
        self._pending = []

    def periodic_callback(self, interval_type: Unit, counter: Any) -> None:
        """Log means and maxima since the last firing."""
        self._fold()
        if not self.count:
            return
        suffix = self.interval_short
        metrics, names = self.ctx.metrics, self._names
        for key, total in self.sums.items():
            pair = names.get((key, suffix))
            if pair is None:
                pair = names[key, suffix] = (f"train_time/{key}/mean/{suffix}", f"train_time/{key}/max/{suffix}")
            metrics.add_scalar(pair[0], total / self.count)
            metrics.add_scalar(pair[1], self.maxs[key])
        self.sums, self.maxs, self.count = {}, {}, 0


class PeakMemoryCallback(PeriodicCallback):
    """Logs the peak accelerator memory since the last firing (CUDA devices only)."""

    may_use_rng = False
    needs_eval_mode = False
    runs_in_evaluation = False

    def periodic_callback(self, interval_type: Unit, counter: Any) -> None:
        """Log and reset the CUDA peak."""
        device = self.ctx.device
        if device.type != "cuda":
            return
        peak = torch.cuda.max_memory_allocated(device) / 2**30
        self.ctx.metrics.add_scalar(f"profiling/peak_memory_gb/{self.interval_short}", peak)
        torch.cuda.reset_peak_memory_stats(device)


class LrCallback(PeriodicCallback):
    """Logs ``optim/lr/<model>/<group>`` (and ``optim/wd/...``) of scheduled optimizers."""

    may_use_rng = False
    needs_eval_mode = False
    runs_in_evaluation = False

    def periodic_callback(self, interval_type: Unit, counter: Any) -> None:
        """Log the current values."""
        metrics = self.ctx.metrics
        for name, wrapper in self.ctx.optimizers.items():
            if wrapper.config.schedule_config is not None:
                for group, value in wrapper.current_lr().items():
                    metrics.add_scalar(f"optim/lr/{name}/{group}", value)
            if wrapper.config.weight_decay_schedule is not None:
                for group, value in wrapper.current_wd().items():
                    metrics.add_scalar(f"optim/wd/{name}/{group}", value)


def default_callbacks(ctx: CallbackContext, model: torch.nn.Module) -> list[CallbackBase]:
    """The default callbacks in their fixed order (§2.9)."""
    callbacks: list[CallbackBase] = [
        DatasetStatsCallback(None, ctx=ctx, model=model),
        ParamCountCallback(None, ctx=ctx, model=model),
    ]
    counter = ctx.counter
    if ctx.eval_only or counter.is_finished:
        return callbacks
    total = counter.end_update
    log = _interval(ctx.trainer_config, "log", max(total // 100, 1))
    track = _interval(ctx.trainer_config, "track", max(total // 500, 1))
    log_cfg = CallBackBaseConfig(**log)  # type: ignore[arg-type]
    track_cfg = CallBackBaseConfig(**track)  # type: ignore[arg-type]
    callbacks += [
        ProgressCallback(log_cfg, ctx=ctx, model=model),
        TrainTimeCallback(log_cfg, ctx=ctx, model=model),
        PeakMemoryCallback(log_cfg, ctx=ctx, model=model),
        OnlineLossCallback(attrs.evolve(log_cfg, id="default/online_loss/log"), verbose=False, ctx=ctx, model=model),
        LrCallback(track_cfg, ctx=ctx, model=model),
    ]
    if track != log:
        callbacks.append(OnlineLossCallback(attrs.evolve(track_cfg, id="default/online_loss/track"), verbose=False,
                                            ctx=ctx, model=model))
    return callbacks
