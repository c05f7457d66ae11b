"""Configs of the checkpoint callbacks."""

from collections.abc import Iterator
from typing import Literal

import attrs

from noether.core.schemas._constraints import NonBlankStr, PositiveInt
from noether.core.schemas.callbacks.base import CallBackBaseConfig


@attrs.frozen(kw_only=True)
class CheckpointCallbackConfig(CallBackBaseConfig):
    """Periodic checkpoints (tag ``E<e>_U<u>_S<s>``) and a ``latest`` pointer."""

    name: Literal["CheckpointCallback"] = "CheckpointCallback"
    #: Save the weights under the periodic tag.
    save_weights: bool = True
    #: Save the optimizer state under the periodic tag.
    save_optim: bool = False
    #: Save the weights as ``latest`` (replaced atomically at every invocation).
    save_latest_weights: bool = True
    #: Save the optimizer state as ``latest``.
    save_latest_optim: bool = False
    #: Names of the (sub)models to save; ``None`` saves all.
    model_names: list[NonBlankStr] | None = None
    #: Keep only the newest k periodic checkpoints (older ones are deleted once a newer one is complete).
    keep_last: PositiveInt | None = None

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from super()._check()
        flags = (self.save_weights, self.save_optim, self.save_latest_weights, self.save_latest_optim)
        if not any(flags):
            yield "save_weights", "at least one of the save_* flags must be true, otherwise nothing is saved"


@attrs.frozen(kw_only=True)
class BestCheckpointCallbackConfig(CallBackBaseConfig):
    """Keeps the weights with the best value of ``metric_key`` (and per-tolerance variants)."""

    name: Literal["BestCheckpointCallback"] = "BestCheckpointCallback"
    #: The metric that decides which model is best (e.g. ``loss/val/total``).
    metric_key: NonBlankStr
    #: Also save the weights of frozen (sub)models.
    save_frozen_weights: bool = True
    #: For each t, keep the best model an early stopper with patience t would have kept.
    tolerances: list[PositiveInt] | None = None
    #: Names of the (sub)models to save; ``None`` saves all.
    model_names: list[NonBlankStr] | None = None

