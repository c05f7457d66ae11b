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
