"""Loss logging: running training losses (online) and losses on a whole dataset (offline)."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import torch

from noether.core.callbacks.base import PeriodicCallback
from noether.core.callbacks.data_iterator import PeriodicDataIteratorCallback
from noether.core.callbacks.loss_sums import LossSums, float32
from noether.core.time import Unit

logger = logging.getLogger("noether")


class OnlineLossCallback(PeriodicCallback):
    """Logs the mean of every training loss since its last firing as ``loss/online/<name>/<interval>``."""

    may_use_rng = False
    needs_eval_mode = False
    runs_in_evaluation = False

    #: The running sums are rank-local: checkpoints keep every rank's (see ``noether.training.distributed``).
    per_rank_state = True

    def __init__(self, config: Any, *, verbose: bool | None = None, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.verbose: bool = getattr(config, "verbose", True) if verbose is None else verbose
        # The running sums: this callback's slot of losses kept for the run's online-loss callbacks together
        # (see ``share``), added up when it fires or saves its state.
        self._sums = LossSums(1)
        self._slot = 0
        self._metric_names: dict[str, str] = {}
        self._names_for: Any = None

    @staticmethod
    def share(callbacks: list[OnlineLossCallback]) -> LossSums:
        """Let ``callbacks`` keep their losses in one :class:`~noether.core.callbacks.loss_sums.LossSums`, and
        return it: its ``track_after_accumulation_step`` keeps each micro-step's losses once for all of them (call
        it instead of theirs). Whatever they summed so far is kept."""
        shared = LossSums(len(callbacks))
        for slot, cb in enumerate(callbacks):
            shared.take(slot, cb._sums, cb._slot)
            cb._sums, cb._slot = shared, slot
        return shared

    def track_after_accumulation_step(self, counter: Any, batch: Any, losses: dict[str, torch.Tensor],
                                      additional_outputs: Any, accumulation_steps: int,
                                      accumulation_step: int) -> None:
        """Keep every loss of the micro-step (on device, no synchronisation) for the running sums."""
        self._sums.add(losses)

    def periodic_callback(self, interval_type: Unit, counter: Any) -> None:
        """Log the means and reset."""
        sums, slot = self._sums, self._slot
        count = sums.count(slot)
        if count == 0:
            return
        ctx = self.ctx
        metrics = ctx.metrics
        if self._names_for is not self.every:  # the metric names carry the interval
            self._metric_names, self._names_for = {}, self.every
        distributed = getattr(ctx, "world_size", 1) > 1
        for key, total in sums.sums(slot).items():
            if isinstance(total, float):  # float32 division, as the device's float32 sum / count
                mean: Any = float32(total / count)
            else:
                with np.errstate(all="ignore"):  # inf / n is inf, as on the device: no warning
                    mean = total / np.float32(count)
            if distributed:  # every rank reduces every key, in the same order
                mean = ctx.all_reduce_mean(torch.as_tensor(mean, dtype=torch.float32, device=ctx.device))
            value = float(mean)
            if math.isnan(value) and not ctx.trainer_config.skip_nan_loss:
                raise RuntimeError(f"the training loss '{key}' is NaN at update {counter.update}")
            metric = self._metric_names.get(key)
            if metric is None:
                metric = self._metric_names[key] = f"loss/online/{key}/{self.interval_short}"
            if not metrics.has(metric):  # another instance on the same interval already logged it
                metrics.add_scalar(metric, value, console=self.verbose)
        sums.reset(slot)

    def state_dict(self) -> dict[str, Any]:
        """Running sums since the last firing (a resumed run logs the same means)."""
        return self._sums.state(self._slot)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self._sums.load(self._slot, state)


class OfflineLossCallback(PeriodicDataIteratorCallback):
    """Evaluates the trainer's losses on ``dataset_key``; logs ``loss/<dataset_key>/<name>`` (means).

    Additional outputs whose key contains one of ``output_patterns_to_log`` are logged as
    ``<output>/<dataset_key>``; the difference to the online loss of the same step as ``lossdiff/...``.
    """

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.patterns: list[str] = list(getattr(config, "output_patterns_to_log", None) or [])

    def process_data(self, batch: dict[str, Any], model: torch.nn.Module) -> dict[str, torch.Tensor]:
        """Per-batch losses (and matching additional outputs) as 1-D tensors."""
        result = self.ctx.compute_losses(batch, model)
        out = {"total": result.total_loss.detach().reshape(-1)}
        for key, value in (result.losses_to_log or {}).items():
            out[key] = value.detach().reshape(-1)
        for key, value in (result.additional_outputs or {}).items():
            if any(p in key for p in self.patterns) and isinstance(value, torch.Tensor):
                out["@" + key] = value.detach().reshape(-1)
        return out

    def process_results(self, results: dict[str, torch.Tensor], interval_type: Unit, counter: Any) -> None:
        """Log means, and loss differences to the online losses of this step."""
        key_ds = self.dataset_key
        online_suffix = self.interval_short
        metrics = self.ctx.metrics
        for name, values in results.items():
            mean = float(values.float().mean())
            if name.startswith("@"):
                metrics.add_scalar(f"{name[1:]}/{key_ds}", mean, console=True)
                continue
            metrics.add_scalar(f"loss/{key_ds}/{name}", mean, console=True)
            online = f"loss/online/{name}/{online_suffix}"
            if metrics.has(online):
                metrics.add_scalar(f"lossdiff/{key_ds}/{name}", mean - metrics.get(online))

