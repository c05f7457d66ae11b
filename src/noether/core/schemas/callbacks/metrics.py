"""Configs of the metric-tracking callbacks."""

from collections.abc import Iterator
from typing import Literal

import attrs

from noether.core.schemas._constraints import NonBlankStr
from noether.core.schemas.callbacks.base import CallBackBaseConfig


@attrs.frozen(kw_only=True)
class BestMetricCallbackConfig(CallBackBaseConfig):
    """Logs target metrics at the point where the source metric was best."""

    name: Literal["BestMetricCallback"] = "BestMetricCallback"
    #: The metric deciding what "best" is (e.g. ``loss/val/total``).
    source_metric_key: NonBlankStr
    #: Metrics to report at the best source value; they must be logged.
    target_metric_keys: list[NonBlankStr] | None = None
    #: Metrics to report at the best source value when they are present.
    optional_target_metric_keys: list[NonBlankStr] | None = None

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from super()._check()
        if not self.target_metric_keys and not self.optional_target_metric_keys:
            yield "target_metric_keys", (
                "set 'target_metric_keys' or 'optional_target_metric_keys' (both are empty)"
            )


@attrs.frozen(kw_only=True)
class TrackAdditionalOutputsCallbackConfig(CallBackBaseConfig):
    """Logs (and optionally saves) entries of ``TrainerResult.additional_outputs``."""

    name: Literal["TrackAdditionalOutputsCallback"] = "TrackAdditionalOutputsCallback"
    #: Exact keys of additional outputs to track.
    keys: list[NonBlankStr] | None = None
    #: Substrings; every additional output whose key contains one is tracked.
    patterns: list[NonBlankStr] | None = None
    #: Also print the values to the console log.
    verbose: bool = False
    #: How the values collected since the last invocation are reduced to one scalar.
    reduce: Literal["mean", "last"] = "mean"
    #: Log the reduced values.
    log_output: bool = True
    #: Save the reduced values to ``update_outputs/`` in the run directory.
    save_output: bool = False

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from super()._check()
        if not self.keys and not self.patterns:
            yield "keys", "set 'keys' or 'patterns' (both are empty)"

