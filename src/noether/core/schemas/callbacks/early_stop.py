"""Configs of the early stoppers."""

from collections.abc import Iterator
from typing import Literal

import attrs

from noether.core.schemas._base import Schema, exactly_one
from noether.core.schemas._constraints import NonBlankStr, PositiveInt
from noether.core.schemas.callbacks.base import CallBackBaseConfig


@attrs.frozen(kw_only=True)
class MetricEarlyStopperConfig(CallBackBaseConfig):
    """Stops training when a metric has not improved ``tolerance`` times in a row."""

    name: Literal["MetricEarlyStopper"] = "MetricEarlyStopper"
    #: The metric to watch.
    metric_key: NonBlankStr
    #: How many invocations without improvement are tolerated (>= 1).
    tolerance: PositiveInt


@attrs.frozen(kw_only=True)
class FixedEarlyStopperConfig(Schema):
    """Stops training at a fixed epoch, update or sample (exactly one)."""

    kind: NonBlankStr | None = None
    name: Literal["FixedEarlyStopper"] = "FixedEarlyStopper"
    #: Stop after the update that reaches this sample count.
    stop_at_sample: PositiveInt | None = None
    #: Stop after this update.
    stop_at_update: PositiveInt | None = None
    #: Stop after this epoch (its end-of-epoch callbacks still run).
    stop_at_epoch: PositiveInt | None = None

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from exactly_one(self, ("stop_at_sample", "stop_at_update", "stop_at_epoch"))

