"""Training time: units, intervals (``Every``), the counters, and the checkpoint tag syntax ``E<e>_U<u>_S<s>``.

This module is the one owner of the tag syntax: writers format tags with :attr:`TrainingIteration.tag`,
readers parse them with :func:`parse_tag`, :func:`is_periodic_tag` and :func:`parse_short_tag`.
No torch import: ``noether check`` and the schemas may use it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any

import attrs

_TAG = re.compile(r"E(\d+)_U(\d+)_S(\d+)")
_SHORT = re.compile(r"^([EUS])(\d+)$")


class Unit(enum.StrEnum):
    """What a callback firing or an interval is counted in; ``EVAL`` is the single evaluation of an
    evaluation-only run (a ``max_*`` of 0). A ``str`` enum, so ``unit == "update"`` keeps working."""

    EPOCH = "epoch"
    UPDATE = "update"
    SAMPLE = "sample"
    EVAL = "eval"

    @property
    def letter(self) -> str:
        """``E``, ``U`` or ``S`` (the tag letter of the unit)."""
        return {"epoch": "E", "update": "U", "sample": "S"}.get(self.value, "eval")


_FIELDS = {"every_n_epochs": Unit.EPOCH, "every_n_updates": Unit.UPDATE, "every_n_samples": Unit.SAMPLE}


@attrs.frozen
class Every:
    """An interval: every ``n`` epochs, updates or samples (parsed once from a config's ``every_n_*``)."""

    unit: Unit
    n: int

    @classmethod
    def from_config(cls, config: Any) -> Every | None:
        """The interval a config's ``every_n_epochs``/``every_n_updates``/``every_n_samples`` names (the first set)."""
        for field, unit in _FIELDS.items():
            value = getattr(config, field, None)
            if value is not None:
                return cls(unit, int(value))
        return None

    @classmethod
    def from_mapping(cls, values: Mapping[str, int | None]) -> Every | None:
        """The same from a mapping of ``every_n_*`` names to values."""
        for field, unit in _FIELDS.items():
            value = values.get(field)
            if value is not None:
                return cls(unit, int(value))
        return None

    @property
    def short(self) -> str:
        """``E<n>``, ``U<n>`` or ``S<n>``: the suffix of keys logged at this interval."""
        return f"{self.unit.letter}{self.n}"

    def due_after_update(self, counter: UpdateCounter) -> Unit | None:
        """The unit due after the update just counted (``None``: not due, or an epoch interval)."""
        if self.unit is Unit.UPDATE:
            return Unit.UPDATE if counter.update % self.n == 0 else None
        if self.unit is Unit.SAMPLE:
            n = self.n
            crossed = counter.sample // n > (counter.sample - counter.effective_batch_size) // n
            return Unit.SAMPLE if crossed else None
        return None

    def due_after_epoch(self, counter: UpdateCounter) -> bool:
        """Whether an epoch interval is due at the end of the epoch just counted."""
        return self.unit is Unit.EPOCH and counter.epoch % self.n == 0


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
        return parse_tag(text)

    def as_dict(self) -> dict[str, int | None]:
        """Plain data for checkpoints."""
        return {"epoch": self.epoch, "update": self.update, "sample": self.sample}


def parse_tag(text: str) -> TrainingIteration | None:
    """The ``E<e>_U<u>_S<s>`` tag inside ``text``, or ``None``."""
    match = _TAG.search(text)
    if match is None:
        return None
    return TrainingIteration(int(match[1]), int(match[2]), int(match[3]))


def is_periodic_tag(tag: str) -> bool:
    """Whether ``tag`` is exactly a periodic ``E<e>_U<u>_S<s>`` tag (no suffix)."""
    return _TAG.fullmatch(tag) is not None


def parse_short_tag(tag: str) -> tuple[str, int] | None:
    """``E3``/``U120``/``S4000`` as ``(counter field, value)``, e.g. ``("update", 120)``; else ``None``."""
    match = _SHORT.match(tag)
    if match is None:
        return None
    return {"E": "epoch", "U": "update", "S": "sample"}[match[1]], int(match[2])


def normalize_tag(tag: str | Mapping[str, int] | None) -> str:
    """Turn the config forms of a checkpoint tag (``None``, a full or one-field dict, a string) into a string."""
    if tag is None:
        return "latest"
    if isinstance(tag, Mapping):
        if len(tag) == 3:
            return TrainingIteration(tag["epoch"], tag["update"], tag["sample"]).tag
        ((key, value),) = tag.items()
        return {"epoch": "E", "update": "U", "sample": "S"}[key] + str(value)
    return tag


def updates_per_epoch(dataset_length: int, effective_batch_size: int) -> int:
    """Whole updates in one pass over ``dataset_length`` samples (the last partial batch is dropped)."""
    return dataset_length // effective_batch_size


@attrs.define
class UpdateCounter:
    """Counts epochs, updates and samples; ``sample`` grows by the global batch size per update.

    ``end_update`` is absolute (a resumed run with ``max_epochs: 10`` still ends at epoch 10).
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
