"""Metric callbacks: values at the best step of another metric, and tracking of additional outputs."""

from __future__ import annotations

from typing import Any

import torch

from noether.core.callbacks.base import PeriodicCallback
from noether.core.layout import UPDATE_OUTPUTS
from noether.core.time import Unit
from noether.core.writers.metric_direction import BestValue


class BestMetricCallback(PeriodicCallback):
    """Logs ``<target>/at_best/<source>``: each target metric at the step where the source was best."""

    may_use_rng = False
    needs_eval_mode = False

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.source: str = config.source_metric_key
        self.targets: list[str] = list(config.target_metric_keys or [])
        self.optional: list[str] = list(config.optional_target_metric_keys or [])
        self._best = BestValue(self.source)
        self.at_best: dict[str, float] = {}

    @property
    def best(self) -> float | None:
        """The best source value so far."""
        return self._best.best

    def periodic_callback(self, interval_type: Unit, counter: Any) -> None:
        """Compare the source metric and log the targets at the best step."""
        writer = self.ctx.metrics
        missing = [k for k in [self.source, *self.targets] if not writer.has(k)]
        if missing:
            raise ValueError(f"BestMetricCallback: {', '.join(missing)} not logged at update {counter.update}")
        if self._best.update(float(writer.get(self.source))):
            self.at_best = {k: float(writer.get(k)) for k in [*self.targets, *self.optional] if writer.has(k)}
        for key, target_value in self.at_best.items():
            writer.add_scalar(f"{key}/at_best/{self.source}", target_value)

    def state_dict(self) -> dict[str, Any]:
        """Best source value and the targets at that step."""
        return {"best": self.best, "at_best": dict(self.at_best)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self._best.best = state["best"]
        self.at_best = dict(state["at_best"])


class TrackAdditionalOutputsCallback(PeriodicCallback):
    """Logs (``<key>/<interval>``) and optionally saves entries of ``TrainerResult.additional_outputs``."""

    may_use_rng = False
    needs_eval_mode = False

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.keys: list[str] = list(config.keys or [])
        self.patterns: list[str] = list(config.patterns or [])
        self.reduce: str = config.reduce
        self.values: dict[str, list[torch.Tensor]] = {}

    def _selected(self, outputs: dict[str, Any]) -> list[str]:
        for key in self.keys:
            if key not in outputs:
                raise KeyError(f"TrackAdditionalOutputsCallback: no additional output '{key}' ({sorted(outputs)})")
        chosen = dict.fromkeys(self.keys)  # a key matched by both keys and patterns is tracked once
        for key in outputs:
            if any(p in key for p in self.patterns):
                chosen[key] = None
        return list(chosen)

    def track_after_accumulation_step(self, counter: Any, batch: Any, losses: Any, additional_outputs: Any,
                                      accumulation_steps: int, accumulation_step: int) -> None:
        """Collect the selected outputs of every micro-step."""
        if not additional_outputs:
            return
        for key in self._selected(additional_outputs):
            value = additional_outputs[key]
            tensor = value.detach().float() if isinstance(value, torch.Tensor) else torch.tensor(float(value))
            if self.reduce == "last":
                self.values[key] = [tensor]
            else:
                self.values.setdefault(key, []).append(tensor.reshape(-1))

    def periodic_callback(self, interval_type: Unit, counter: Any) -> None:
        """Reduce, log and save."""
        suffix = self.interval_short
        ctx = self.ctx
        for key, values in self.values.items():
            mean = torch.cat([v.reshape(-1) for v in values]).mean()
            reduced = float(ctx.all_reduce_mean(mean))  # mean over processes
            if self.config.log_output:
                ctx.metrics.add_scalar(f"{key}/{suffix}", reduced, console=self.config.verbose)
            if self.config.save_output and ctx.is_rank0:
                out_dir = ctx.run_dir / UPDATE_OUTPUTS
                out_dir.mkdir(parents=True, exist_ok=True)
                safe = key.replace("/", ".")
                torch.save(torch.tensor(reduced), out_dir / f"{safe}_{suffix}_{counter.current.tag}.th")
        self.values = {}
