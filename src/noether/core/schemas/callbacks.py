"""Callback configs. A callback list item is selected by its ``name`` (or, without one, by ``kind``)."""


from collections.abc import Iterator
from typing import Annotated, Literal

import attrs

from noether.core.schemas._base import OpenUnion, Schema, exactly_one
from noether.core.schemas._constraints import Between, NonBlankStr, NonEmpty, PositiveInt

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


@attrs.frozen(kw_only=True)
class EmaCallbackConfig(CallBackBaseConfig):
    """Exponential moving averages of the weights, one per factor and model path."""

    name: Literal["EmaCallback"] = "EmaCallback"
    #: EMA factors f in ``shadow = f * shadow + (1 - f) * param``.
    target_factors: Annotated[list[Annotated[float, Between(0.0, 1.0)]], NonEmpty()]
    #: Dotted submodule paths to average (``None`` item = the whole model).
    model_paths: list[NonBlankStr | None] | None = None
    #: Save the EMA weights under the periodic tag.
    save_weights: bool = True
    #: Save the EMA weights under tag ``last`` at the end of training.
    save_last_weights: bool = True
    #: Save the EMA weights under tag ``latest`` at every invocation.
    save_latest_weights: bool = False


@attrs.frozen(kw_only=True)
class OnlineLossCallbackConfig(CallBackBaseConfig):
    """Logs the mean training loss since the last invocation."""

    name: Literal["OnlineLossCallback"] = "OnlineLossCallback"
    #: Also print the loss to the console log.
    verbose: bool = True


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


@attrs.frozen(kw_only=True)
class OfflineLossCallbackConfig(PeriodicDataIteratorCallbackConfig):
    """Evaluates the loss on a named dataset each time it fires."""

    name: Literal["OfflineLossCallback"] = "OfflineLossCallback"
    #: Also log additional outputs whose key contains one of these substrings.
    output_patterns_to_log: list[NonBlankStr] | None = None


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


#: Any callback config: registered configs are selected by ``name`` (falling back to ``kind``).
CallbacksConfig = Annotated[Schema, OpenUnion("callback", discriminator="name", base=CallBackBaseConfig)]
