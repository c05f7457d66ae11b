"""The fields every periodic callback config shares, and the open union of callback configs."""

from collections.abc import Iterator
from typing import Annotated, Literal

import attrs

from noether.core.schemas._base import OpenUnion, Schema, exactly_one
from noether.core.schemas._constraints import NonBlankStr, PositiveInt

_INTERVALS = ("every_n_epochs", "every_n_updates", "every_n_samples")


@attrs.frozen(kw_only=True)
class CallBackBaseConfig(Schema):
    """Fields shared by every periodic callback: its class, its state key and when it fires."""

    name: Literal["BaseCallbacksConfig"] = "BaseCallbacksConfig"
    #: Class path (or registered kind) of the callback implementation; defaults to the one registered for ``name``.
    kind: NonBlankStr | None = None
    #: Unique key of this callback's state in checkpoints; needed when two stateful callbacks share a class.
    id: NonBlankStr | None = None
    #: Fire after every n epochs. Exactly one of the three intervals must be set.
    every_n_epochs: PositiveInt | None = None
    #: Fire after every n updates.
    every_n_updates: PositiveInt | None = None
    #: Fire whenever a multiple of n samples is crossed.
    every_n_samples: PositiveInt | None = None
    #: Batch size of data-iterator callbacks (default: the trainer's micro batch size).
    batch_size: PositiveInt | None = None

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from exactly_one(self, _INTERVALS)
        if self.every_n_samples is not None and self.batch_size is None:
            yield "batch_size", "'batch_size' is required when 'every_n_samples' is set"


@attrs.frozen(kw_only=True)
class PeriodicDataIteratorCallbackConfig(CallBackBaseConfig):
    """A callback that iterates over a whole dataset each time it fires."""

    name: Literal["PeriodicDataIteratorCallback"] = "PeriodicDataIteratorCallback"
    #: Key of the dataset (in ``datasets``) to iterate over.
    dataset_key: NonBlankStr


#: Any callback config: registered configs are selected by ``name`` (falling back to ``kind``).
CallbacksConfig = Annotated[Schema, OpenUnion("callback", discriminator="name", base=CallBackBaseConfig)]
