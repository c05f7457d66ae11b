"""Explicit epoch / update / sample counters and the run's end, all derived from whole updates."""

from __future__ import annotations

import re

import attrs

_TAG = re.compile(r"E(\d+)_U(\d+)_S(\d+)")


@attrs.frozen
class TrainingIteration:
    """A point in training; fully specified when epoch, update and sample are all set."""

    epoch: int | None = None
    update: int | None = None
    sample: int | None = None

    @property
    def tag(self) -> str:
        """``E<e>_U<u>_S<s>`` (requires a fully specified iteration)."""
        return f"E{self.epoch}_U{self.update}_S{self.sample}"

    @classmethod
    def parse(cls, text: str) -> TrainingIteration | None:
        """Find an ``E<e>_U<u>_S<s>`` tag inside ``text`` (e.g. a file name)."""
        match = _TAG.search(text)
        if match is None:
            return None
        return cls(int(match[1]), int(match[2]), int(match[3]))

    def as_dict(self) -> dict[str, int | None]:
        """Plain data for checkpoints."""
        return {"epoch": self.epoch, "update": self.update, "sample": self.sample}


@attrs.define
class UpdateCounter:
    """Counts epochs, updates and samples; ``sample`` grows by the global batch size per update.

    ``end`` is absolute (a resumed run with ``max_epochs: 10`` still ends at epoch 10).
    """

    updates_per_epoch: int
    effective_batch_size: int
    end_update: int
    epoch: int = 0
    update: int = 0
    sample: int = 0

    @classmethod
    def from_limits(
        cls,
        *,
        updates_per_epoch: int,
        effective_batch_size: int,
        max_epochs: int | None = None,
        max_updates: int | None = None,
        max_samples: int | None = None,
    ) -> UpdateCounter:
        """Build the counter from exactly one ``max_*`` limit."""
        given = [v for v in (max_epochs, max_updates, max_samples) if v is not None]
        if len(given) != 1:
            raise ValueError("exactly one of max_epochs, max_updates, max_samples must be set")
        if max_epochs is not None:
            end = max_epochs * updates_per_epoch
        elif max_updates is not None:
            end = max_updates
        else:
            assert max_samples is not None
            end = max_samples // effective_batch_size
        return cls(updates_per_epoch, effective_batch_size, end)

    def start_at(self, update: int) -> None:
        """Move to the start of ``update`` (fully consistent epoch and sample)."""
        self.update = update
        self.epoch = update // self.updates_per_epoch
        self.sample = update * self.effective_batch_size

    def advance(self) -> bool:
        """Count one finished update; returns whether it closed an epoch."""
        self.update += 1
        self.sample += self.effective_batch_size
        if self.update % self.updates_per_epoch == 0:
            self.epoch += 1
            return True
        return False

    @property
    def is_finished(self) -> bool:
        """Whether the end has been reached."""
        return self.update >= self.end_update

    @property
    def end(self) -> TrainingIteration:
        """The fully specified end of the run."""
        u = self.end_update
        return TrainingIteration(u // self.updates_per_epoch, u, u * self.effective_batch_size)

    @property
    def current(self) -> TrainingIteration:
        """The current point, fully specified."""
        return TrainingIteration(self.epoch, self.update, self.sample)

    @property
    def epoch_as_float(self) -> float:
        """Progress in epochs (``update / updates_per_epoch``)."""
        return self.update / self.updates_per_epoch
