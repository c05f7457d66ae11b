"""Early stoppers: by a metric that stopped improving, or at a fixed point."""

from __future__ import annotations

from typing import Any

from noether.core.callbacks.base import EarlyStopIteration, PeriodicCallback
from noether.core.time import Every, Unit
from noether.core.writers.metric_direction import BestValue


class MetricEarlyStopper(PeriodicCallback):
    """Stops when ``metric_key`` has not strictly improved ``tolerance`` times in a row."""

    may_use_rng = False
    needs_eval_mode = False
    runs_in_evaluation = False

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.metric_key: str = config.metric_key
        self.tolerance: int = config.tolerance
        self._best = BestValue(self.metric_key)
        self.misses = 0

    @property
    def best(self) -> float | None:
        """The best value so far."""
        return self._best.best

    def periodic_callback(self, interval_type: Unit, counter: Any) -> None:
        """Compare, count, stop."""
        metrics = self.ctx.metrics
        if not metrics.has(self.metric_key):
            raise ValueError(f"MetricEarlyStopper: '{self.metric_key}' was not logged at update {counter.update}")
        if self._best.update(float(metrics.get(self.metric_key))):
            self.misses = 0
        else:
            self.misses += 1
        if self.misses >= self.tolerance:
            raise EarlyStopIteration(f"{self.metric_key} did not improve {self.misses} times in a row")

    def state_dict(self) -> dict[str, Any]:
        """Best value and miss count (kept across resume, unlike upstream)."""
        return {"best": self.best, "misses": self.misses}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self._best.best = state["best"]
        self.misses = int(state["misses"])


class FixedEarlyStopper(PeriodicCallback):
    """Stops at a fixed update or sample (checked after every update) or epoch (checked at epoch end, so
    that epoch's end-of-epoch callbacks still run)."""

    may_use_rng = False
    needs_eval_mode = False
    runs_in_evaluation = False

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.stop_at_update: int | None = config.stop_at_update
        self.stop_at_sample: int | None = config.stop_at_sample
        self.stop_at_epoch: int | None = config.stop_at_epoch
        self.every = Every(Unit.EPOCH, 1) if self.stop_at_epoch is not None else Every(Unit.UPDATE, 1)

    def periodic_callback(self, interval_type: Unit, counter: Any) -> None:
        """Stop when the configured point is reached."""
        if (
            (self.stop_at_update is not None and counter.update >= self.stop_at_update)
            or (self.stop_at_sample is not None and counter.sample >= self.stop_at_sample)
            or (self.stop_at_epoch is not None and counter.epoch >= self.stop_at_epoch)
        ):
            raise EarlyStopIteration("fixed stop point reached")
