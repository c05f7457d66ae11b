"""Loss logging: running training losses (online) and losses on a whole dataset (offline)."""

from __future__ import annotations

import logging
import math
from typing import Any

import torch

from noether.core.callbacks.base import PeriodicCallback
from noether.core.callbacks.data_iterator import PeriodicDataIteratorCallback
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
        self._sums: dict[str, torch.Tensor] = {}
        self._count = 0

    def track_after_accumulation_step(self, counter: Any, batch: Any, losses: dict[str, torch.Tensor],
                                      additional_outputs: Any, accumulation_steps: int,
                                      accumulation_step: int) -> None:
        """Accumulate (on device, no synchronisation) every loss of the micro-step."""
        sums = self._sums
        # A single loss is also the total: the trainer passes the same tensor under both keys. While two keys
        # have had the same values since the last firing (their sums are one object), one addition serves both.
        added: dict[int, tuple[torch.Tensor | None, torch.Tensor]] = {}
        for key, value in losses.items():
            current = sums.get(key)
            ident = id(value)
            same = added.get(ident)
            if same is not None and same[0] is current:
                sums[key] = same[1]
                continue
            if value.dtype is not torch.float32:
                value = value.float()
            new = value if current is None else current + value
            sums[key] = new
            added[ident] = (current, new)
        self._count += 1

    def periodic_callback(self, interval_type: Unit, counter: Any) -> None:
        """Log the means and reset."""
        if self._count == 0:
            return
        suffix = self.interval_short
        ctx = self.ctx
        metrics = ctx.metrics
        means: dict[int, torch.Tensor] = {}  # a sum shared by two keys (a single loss and the total) is divided once
        for key, total in self._sums.items():
            mean = means.get(id(total))
            if mean is None:
                mean = means[id(total)] = total / self._count
            value = float(ctx.all_reduce_mean(mean))  # every key still reduced: the same collectives on every rank
            if math.isnan(value) and not ctx.trainer_config.skip_nan_loss:
                raise RuntimeError(f"the training loss '{key}' is NaN at update {counter.update}")
            metric = f"loss/online/{key}/{suffix}"
            if not metrics.has(metric):  # another instance on the same interval already logged it
                metrics.add_scalar(metric, value, console=self.verbose)
        self._sums = {}
        self._count = 0

    def state_dict(self) -> dict[str, Any]:
        """Running sums since the last firing (a resumed run logs the same means)."""
        return {"sums": {k: v.detach().cpu() for k, v in self._sums.items()}, "count": self._count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        device = self.ctx.device
        self._sums = {k: v.to(device) for k, v in state.get("sums", {}).items()}
        self._count = int(state.get("count", 0))


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

