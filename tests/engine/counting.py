"""Test callbacks that record when they fire (named by class path in configs)."""

from __future__ import annotations

from typing import Any

from noether.core.callbacks.base import PeriodicCallback

FIRED: list[tuple[str, str, int, int, int]] = []


class CountingCallback(PeriodicCallback):
    """Records ``(id, interval_type, epoch, update, sample)`` at every firing."""

    def periodic_callback(self, interval_type: str, counter: Any) -> None:
        FIRED.append((self.checkpoint_key, interval_type, counter.epoch, counter.update, counter.sample))


class StatelessCounter(PeriodicCallback):
    """Logs how often it fired, without saving that in checkpoints (so resume cannot be exact)."""

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.count = 0

    def periodic_callback(self, interval_type: str, counter: Any) -> None:
        self.count += 1
        self.log_writer.add_scalar("count/fired", self.count)


class FailingCallback(PeriodicCallback):
    """Raises at its first firing (to test that the other callbacks still run)."""

    def periodic_callback(self, interval_type: str, counter: Any) -> None:
        raise RuntimeError("boom from a callback")


class SigtermAtUpdate(PeriodicCallback):
    """Sends this process SIGTERM after update 3 (as a scheduler would), to test the interruption path."""

    def periodic_callback(self, interval_type: str, counter: Any) -> None:
        import os
        import signal

        if counter.update == 3:
            os.kill(os.getpid(), signal.SIGTERM)


class LegacyTrainerCallback(PeriodicCallback):
    """A third-party callback written against the old ``self.trainer`` API (before the callback context)."""

    def before_training(self, counter: Any) -> None:
        self.trainer.summary["legacy/datasets"] = len(self.trainer.context.datasets)

    def periodic_callback(self, interval_type: str, counter: Any) -> None:
        trainer = self.trainer
        batches = list(trainer.iterate_dataset("val"))
        with_model = [trainer.train_step(batch, trainer.train_model).total_loss for batch in batches]
        trainer.log_writer.add_scalar("legacy/val_loss", float(sum(with_model) / len(with_model)))
        trainer.log_writer.add_scalar("legacy/on_cpu", int(trainer.device.type == "cpu"))
        if trainer.context.is_rank0:
            trainer.save_checkpoint("legacy", weights=True, optim=False, trainer_state=False)


HANDLERS: list[list[str]] = []


class HandlerProbe(PeriodicCallback):
    """Records the class names of the ``noether`` logger's handlers while training runs."""

    def periodic_callback(self, interval_type: str, counter: Any) -> None:
        import logging

        HANDLERS.append([type(h).__name__ for h in logging.getLogger("noether").handlers])


SEEN_ROWS: list[int] = []


class MetricsFileProbe(PeriodicCallback):
    """After every optimizer update, records the update of the last row already in ``metrics.jsonl``."""

    def track_after_update_step(self, counter: Any, times: dict[str, float]) -> None:
        import json

        lines = (self.ctx.run_dir / "metrics.jsonl").read_text().splitlines()
        SEEN_ROWS.append(json.loads(lines[-1])["update"] if lines else 0)


class IntervalChanger(PeriodicCallback):
    """Records its firings; at its first firing switches to every 3 updates (its own interval, changed while it
    fires)."""

    def periodic_callback(self, interval_type: str, counter: Any) -> None:
        FIRED.append((self.checkpoint_key, interval_type, counter.epoch, counter.update, counter.sample))
        self.every_n_updates = 3


class SquareUpdates(PeriodicCallback):
    """Fires after every update that is a perfect square (its own ``due_after_update``)."""

    def due_after_update(self, counter: Any) -> Any:
        from noether.core.time import Unit

        root = int(counter.update ** 0.5)
        return Unit.UPDATE if root * root == counter.update else None

    def periodic_callback(self, interval_type: str, counter: Any) -> None:
        FIRED.append((self.checkpoint_key, interval_type, counter.epoch, counter.update, counter.sample))


TIMES: list[tuple[int, dict[str, float]]] = []


class TimesProbe(PeriodicCallback):
    """Records the timers the trainer passes after every update."""

    def track_after_update_step(self, counter: Any, times: dict[str, float]) -> None:
        TIMES.append((counter.update, dict(times)))


class StopsFiring(PeriodicCallback):
    """Records its firings; at its second firing removes its interval (it never fires again)."""

    def periodic_callback(self, interval_type: str, counter: Any) -> None:
        FIRED.append((self.checkpoint_key, interval_type, counter.epoch, counter.update, counter.sample))
        if sum(1 for fired in FIRED if fired[0] == self.checkpoint_key) == 2:
            self.every_n_updates = None
