"""Configs of the loss-logging callbacks (training loss, loss on a dataset)."""

from typing import Literal

import attrs

from noether.core.schemas._constraints import NonBlankStr
from noether.core.schemas.callbacks.base import CallBackBaseConfig, PeriodicDataIteratorCallbackConfig


@attrs.frozen(kw_only=True)
class OnlineLossCallbackConfig(CallBackBaseConfig):
    """Logs the mean training loss since the last invocation."""

    name: Literal["OnlineLossCallback"] = "OnlineLossCallback"
    #: Also print the loss to the console log.
    verbose: bool = True


@attrs.frozen(kw_only=True)
class OfflineLossCallbackConfig(PeriodicDataIteratorCallbackConfig):
    """Evaluates the loss on a named dataset each time it fires."""

    name: Literal["OfflineLossCallback"] = "OfflineLossCallback"
    #: Also log additional outputs whose key contains one of these substrings.
    output_patterns_to_log: list[NonBlankStr] | None = None

