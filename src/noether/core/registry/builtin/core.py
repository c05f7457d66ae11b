"""Registration of the core families: callbacks, trackers, initializers, optimizers, models, trainers."""

from __future__ import annotations

import attrs

from noether.core.registry.hookspecs import RegisterFunction, hookimpl
from noether.core.schemas import callbacks as cb
from noether.core.schemas import initializers as ini
from noether.core.schemas import models, optimizers, trackers, trainers

_CALLBACKS = {
    "CheckpointCallback": (cb.CheckpointCallbackConfig, "noether.core.callbacks.checkpoint:CheckpointCallback"),
    "BestCheckpointCallback": (
        cb.BestCheckpointCallbackConfig,
        "noether.core.callbacks.checkpoint:BestCheckpointCallback",
    ),
    "EmaCallback": (cb.EmaCallbackConfig, "noether.core.callbacks.ema:EmaCallback"),
    "OnlineLossCallback": (cb.OnlineLossCallbackConfig, "noether.core.callbacks.losses:OnlineLossCallback"),
    "BestMetricCallback": (cb.BestMetricCallbackConfig, "noether.core.callbacks.metrics:BestMetricCallback"),
    "TrackAdditionalOutputsCallback": (
        cb.TrackAdditionalOutputsCallbackConfig,
        "noether.core.callbacks.metrics:TrackAdditionalOutputsCallback",
    ),
    "MetricEarlyStopper": (cb.MetricEarlyStopperConfig, "noether.core.callbacks.early_stop:MetricEarlyStopper"),
    "FixedEarlyStopper": (cb.FixedEarlyStopperConfig, "noether.core.callbacks.early_stop:FixedEarlyStopper"),
    "PeriodicDataIteratorCallback": (
        cb.PeriodicDataIteratorCallbackConfig,
        "noether.core.callbacks.data_iterator:PeriodicDataIteratorCallback",
    ),
    "BaseCallbacksConfig": (cb.CallBackBaseConfig, None),
}

#: torch.optim classes that can be named as ``torch.optim.<Name>``.
TORCH_OPTIMIZERS = (
    "ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam", "RAdam",
    "RMSprop", "Rprop", "SGD", "SparseAdam",
)


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the core components."""
    for name, (config, component) in _CALLBACKS.items():
        module = "noether.core.callbacks"
        aliases = (f"{module}.{name}",) if component else ()
        register("callback", name, config=config, component=component, aliases=aliases)
    register(
        "callback",
        "OfflineLossCallback",
        config=cb.OfflineLossCallbackConfig,
        component="noether.core.callbacks.losses:OfflineLossCallback",
        aliases=("noether.training.callbacks.OfflineLossCallback", "noether.core.callbacks.OfflineLossCallback"),
    )

    for cls, component in (
        (trackers.WandBTrackerSchema, "noether.core.trackers.wandb:WandBTracker"),
        (trackers.TensorboardTrackerSchema, "noether.core.trackers.tensorboard:TensorboardTracker"),
        (trackers.TrackioTrackerSchema, "noether.core.trackers.trackio:TrackioTracker"),
    ):
        register("tracker", attrs.fields(cls).kind.default, config=cls, component=component)

    for init_cls, component in (
        (ini.CheckpointInitializerConfig, "noether.core.initializers.previous_run:CheckpointInitializer"),
        (ini.ResumeInitializerConfig, "noether.core.initializers.resume:ResumeInitializer"),
        (ini.PreviousRunInitializerConfig, "noether.core.initializers.previous_run:PreviousRunInitializer"),
    ):
        register("initializer", attrs.fields(init_cls).kind.default, config=init_cls, component=component)

    for name in TORCH_OPTIMIZERS:
        register("optimizer", f"torch.optim.{name}", config=optimizers.OptimizerConfig, component=f"torch.optim:{name}")
    register("optimizer", "noether.core.optimizer.Lion", config=optimizers.OptimizerConfig,
             component="noether.core.optimizer.lion:Lion")
    modifiers = "noether.core.optimizer.param_group_modifiers"
    for name in ("LrScaleByNameModifier", "WeightDecayByNameModifier"):
        register("param_group_modifier", f"{modifiers}.{name}", config=optimizers.ParamGroupModifierConfig,
                 component=f"{modifiers}:{name}")

    register("model", "noether.core.models.MLP", config=models.MLPConfig,
             component="noether.core.models.mlp:MLP", aliases=("MLP",))
    register("model", "noether.core.models.CompositeModel", config=models.CompositeModelConfig,
             component="noether.core.models.composite:CompositeModel", aliases=("CompositeModel",))

    register("trainer", "noether.training.trainers.BaseTrainer", config=trainers.BaseTrainerConfig,
             component="noether.training.trainer:BaseTrainer", aliases=("BaseTrainer",))
    register("trainer", "noether.training.trainers.SupervisedTrainer", config=trainers.SupervisedTrainerConfig,
             component="noether.training.supervised:SupervisedTrainer", aliases=("SupervisedTrainer",))
