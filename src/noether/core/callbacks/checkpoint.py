"""Checkpoint callbacks: periodic and ``latest`` checkpoints, and the best model by a metric."""

from __future__ import annotations

import logging
from typing import Any

from noether.core.callbacks.base import PeriodicCallback
from noether.core.time import Unit
from noether.core.writers.metric_direction import BestValue

logger = logging.getLogger("noether")


class CheckpointCallback(PeriodicCallback):
    """Saves ``E<e>_U<u>_S<s>`` checkpoints and keeps ``latest`` pointing at a complete, resumable one.

    ``latest`` always holds weights, optimizer and trainer state, so a run can resume exactly from it.
    """

    may_use_rng = False
    needs_eval_mode = False
    runs_in_evaluation = False

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = config
        if not (c.save_weights or c.save_optim or c.save_latest_weights or c.save_latest_optim):
            raise ValueError("CheckpointCallback: every save_* flag is false, nothing would be saved")
        self.keep_last: int | None = config.keep_last

    def periodic_callback(self, interval_type: Unit, counter: Any) -> None:
        """Write the periodic set and move ``latest``."""
        c = self.config
        ctx = self.ctx
        tag = counter.current.tag
        latest = c.save_latest_weights or c.save_latest_optim
        if c.save_weights or c.save_optim:
            complete = c.save_weights and c.save_optim and not c.model_names
            ctx.save_checkpoint(tag, weights=c.save_weights, optim=c.save_optim, model_names=c.model_names,
                                update_latest=latest and complete)
            if latest and not complete:
                ctx.save_checkpoint(f"{tag}.latest", update_latest=True, ephemeral=True)
        elif latest:
            ctx.save_checkpoint(f"{tag}.latest", update_latest=True, ephemeral=True)
        if self.keep_last:
            ctx.prune_checkpoints(self.keep_last)

    def after_training(self, counter: Any) -> None:
        """Write the ``last`` set (weights, optimizer and trainer state); not when a signal interrupted the run."""
        if (counter.update == 0 and self.ctx.eval_only) or self.ctx.interrupted:
            return
        self.ctx.save_checkpoint("last", weights=True, optim=True, model_names=self.config.model_names,
                                 update_latest=not self.config.model_names)


class BestCheckpointCallback(PeriodicCallback):
    """Saves the weights whenever ``metric_key`` improves, as ``best_model.<metric with / as .>``.

    For each tolerance t, ``best_model.<metric>.tolerance=<t>`` holds the best model an early stopper with
    patience t would have kept: it follows every new best until the metric has failed to improve more than t
    times in a row, then it is frozen.
    """

    may_use_rng = False
    needs_eval_mode = False

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.metric_key: str = config.metric_key
        self._best = BestValue(self.metric_key)
        self.misses = 0
        self.tolerances: list[int] = sorted(config.tolerances or [])
        self.frozen: dict[int, bool] = {t: False for t in self.tolerances}
        self.tag = "best_model." + self.metric_key.replace("/", ".")

    @property
    def best(self) -> float | None:
        """The best value so far."""
        return self._best.best

    def periodic_callback(self, interval_type: Unit, counter: Any) -> None:
        """Compare the metric of this step with the best so far."""
        writer = self.ctx.metrics
        if not writer.has(self.metric_key):
            raise KeyError(
                f"BestCheckpointCallback: '{self.metric_key}' was not logged at update {counter.update}; the "
                "callback producing it must fire at the same interval and come before this one"
            )
        models = self.config.model_names
        if self._best.update(float(writer.get(self.metric_key))):
            self.misses = 0
            self._save(self.tag, models)
            for t in self.tolerances:
                if not self.frozen[t]:
                    self._save(f"{self.tag}.tolerance={t}", models)
        else:
            self.misses += 1
            for t in self.tolerances:
                if self.misses > t:
                    self.frozen[t] = True

    def _save(self, tag: str, model_names: list[str] | None) -> None:
        names = model_names
        if not self.config.save_frozen_weights:
            trainable = [leaf.name for _, leaf in self.ctx.model.leaf_models() if not leaf.is_frozen]
            names = [n for n in (names or trainable) if n in trainable]
        self.ctx.save_checkpoint(tag, weights=True, optim=False, trainer_state=False, model_names=names)

    def state_dict(self) -> dict[str, Any]:
        """Best value, misses and frozen tolerances."""
        return {"best": self.best, "misses": self.misses, "frozen": {str(k): v for k, v in self.frozen.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self._best.best = state["best"]
        self.misses = int(state["misses"])
        self.frozen = {int(k): bool(v) for k, v in state["frozen"].items()}
