"""Trainer config: how long to train, batch sizes, precision, callbacks and logging intervals."""


from collections.abc import Iterator
from typing import Annotated, Literal

import attrs

from noether.core.schemas._base import OpenUnion, Schema, exactly_one
from noether.core.schemas._constraints import NonBlankStr, NonNegativeFloat, NonNegativeInt, PositiveInt
from noether.core.schemas.callbacks import CallbacksConfig
from noether.core.schemas.strategy import StrategyConfig
from noether.core.schemas.unions import AnyInitializer


@attrs.frozen(kw_only=True)
class BaseTrainerConfig(Schema):
    """The training loop. Exactly one of ``max_epochs``/``max_updates``/``max_samples``; 0 evaluates only."""

    #: Registered kind or class path of the trainer.
    kind: NonBlankStr
    #: Train for this many epochs (0: run every callback once, train nothing).
    max_epochs: NonNegativeInt | None = None
    #: Train for this many optimizer updates.
    max_updates: NonNegativeInt | None = None
    #: Train for this many samples (rounded down to whole updates).
    max_samples: NonNegativeInt | None = None
    #: Start at this epoch (schedules and data order advance accordingly).
    start_at_epoch: NonNegativeInt | None = None
    #: Add the default callbacks (progress, losses, lr, timings, memory, dataset stats, parameter count).
    add_default_callbacks: bool | None = True
    #: Add the callbacks the trainer class contributes (``get_trainer_callbacks``).
    add_trainer_callbacks: bool | None = True
    #: Samples per optimizer update, over all processes.
    effective_batch_size: PositiveInt
    #: Numeric precision of the forward pass.
    precision: Literal["float32", "fp32", "float16", "fp16", "bfloat16", "bf16"] = "float32"
    #: User callbacks, run before the default ones.
    callbacks: list[CallbacksConfig] | None = None
    #: Initializer of the whole run (e.g. a ResumeInitializer).
    initializer: AnyInitializer | None = None
    log_every_n_epochs: PositiveInt | None = None
    log_every_n_updates: PositiveInt | None = None
    log_every_n_samples: PositiveInt | None = None
    track_every_n_epochs: PositiveInt | None = None
    track_every_n_updates: PositiveInt | None = None
    track_every_n_samples: PositiveInt | None = None
    #: Largest forward batch; larger effective batches are split and gradients accumulated.
    max_batch_size: PositiveInt | None = None
    #: Skip updates whose loss is NaN (up to ``skip_nan_loss_max_count`` in a row).
    skip_nan_loss: bool = False
    #: Consecutive NaN losses tolerated; one more raises.
    skip_nan_loss_max_count: PositiveInt = 100
    #: Ignore ``max_batch_size`` and always run the effective batch in one forward pass.
    disable_gradient_accumulation: bool = False
    #: Ctrl+C writes a checkpoint and stops cleanly (SIGTERM always does).
    save_on_sigint: bool = False
    #: Compile the model with ``torch.compile``.
    use_torch_compile: bool = False
    #: DistributedDataParallel ``find_unused_parameters``.
    find_unused_params: bool = False
    #: DistributedDataParallel ``static_graph``.
    static_graph: bool = False
    #: How several processes share the model (``None``: DDP); see :class:`StrategyConfig` (FSDP2 options).
    strategy: StrategyConfig | None = None
    #: Batch keys passed to the model's ``forward`` as keyword arguments.
    forward_properties: list[NonBlankStr] | None = attrs.field(factory=list)
    #: Batch keys passed to the loss as targets.
    target_properties: list[NonBlankStr] | None = attrs.field(factory=list)

    def _check(self) -> Iterator[tuple[str, str]]:
        yield from exactly_one(self, ("max_epochs", "max_updates", "max_samples"))
        yield from exactly_one(
            self, ("log_every_n_epochs", "log_every_n_updates", "log_every_n_samples"), allow_none=True
        )
        yield from exactly_one(
            self, ("track_every_n_epochs", "track_every_n_updates", "track_every_n_samples"), allow_none=True
        )
        if self.start_at_epoch is not None and self.initializer is not None:
            yield "start_at_epoch", "cannot be combined with 'initializer' (a resume sets the start itself)"


#: Any trainer config, selected by ``kind``.
AnyTrainerConfig = Annotated[BaseTrainerConfig, OpenUnion("trainer", base=BaseTrainerConfig)]


@attrs.frozen(kw_only=True)
class SupervisedTrainerConfig(BaseTrainerConfig):
    """A trainer that compares the model's outputs with the target properties of the batch.

    The model returns a tensor (one target property) or a dict keyed by target property. Each target adds
    ``loss_<property>`` to the logged losses and ``rel_l2/<property>`` (per-sample relative L2 error) to the
    additional outputs.
    """

    kind: NonBlankStr = "noether.training.trainers.SupervisedTrainer"
    #: The per-element loss.
    loss: Literal["mse", "l1", "huber"] = "mse"
    #: Weight of each target's loss in the total (default 1 for every target).
    loss_weights: dict[NonBlankStr, NonNegativeFloat] | None = None
