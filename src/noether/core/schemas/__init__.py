"""``noether.core.schemas``: every config class of Noether, as frozen attrs classes.

Importing this package imports no torch and does no I/O. Build objects directly, or structure plain data with
:func:`noether.structure`.
"""

from noether.core.schemas._base import OpenUnion, Schema
from noether.core.schemas.callbacks import (
    BestCheckpointCallbackConfig,
    BestMetricCallbackConfig,
    CallBackBaseConfig,
    CallbacksConfig,
    CheckpointCallbackConfig,
    EmaCallbackConfig,
    FixedEarlyStopperConfig,
    MetricEarlyStopperConfig,
    OfflineLossCallbackConfig,
    OnlineLossCallbackConfig,
    PeriodicDataIteratorCallbackConfig,
    TrackAdditionalOutputsCallbackConfig,
)
from noether.core.schemas.config import ConfigSchema
from noether.core.schemas.dataset import AnyDatasetConfig, DatasetBaseConfig, StandardDatasetConfig
from noether.core.schemas.initializers import (
    AnyInitializer,
    CheckpointInitializerConfig,
    InitializerConfig,
    PreviousRunInitializerConfig,
    ResumeInitializerConfig,
)
from noether.core.schemas.models import AnyModelConfig, CompositeModelConfig, MLPConfig, ModelBaseConfig
from noether.core.schemas.normalizers import (
    AnyNormalizer,
    MeanStdNormalizerConfig,
    PositionNormalizerConfig,
    ShiftAndScaleNormalizerConfig,
)
from noether.core.schemas.optimizers import OptimizerConfig, ParamGroupModifierConfig
from noether.core.schemas.plugins import PluginsConfig
from noether.core.schemas.schedules import (
    AnyScheduleConfig,
    ConstantScheduleConfig,
    CosineDecreasingScheduleConfig,
    CosineIncreasingScheduleConfig,
    CustomScheduleConfig,
    DecreasingProgressScheduleConfig,
    IncreasingProgressScheduleConfig,
    LinearDecreasingScheduleConfig,
    LinearIncreasingScheduleConfig,
    LinearWarmupCosineDecayScheduleConfig,
    PeriodicBoolScheduleConfig,
    PolynomialDecreasingScheduleConfig,
    PolynomialIncreasingScheduleConfig,
    ProgressScheduleConfig,
    ScheduleBaseConfig,
    SchedulerConfig,
    StepDecreasingScheduleConfig,
    StepFixedScheduleConfig,
    StepIntervalScheduleConfig,
)
from noether.core.schemas.slurm import SlurmConfig
from noether.core.schemas.trackers import (
    AnyTracker,
    TensorboardTrackerSchema,
    TrackioTrackerSchema,
    WandBTrackerSchema,
)
from noether.core.schemas.trainers import AnyTrainerConfig, BaseTrainerConfig, SupervisedTrainerConfig
from noether.core.schemas.wrappers import (
    DatasetWrappers,
    RepeatWrapperConfig,
    ShuffleWrapperConfig,
    SubsetWrapperConfig,
)

__all__ = [
    "AnyDatasetConfig",
    "AnyInitializer",
    "AnyModelConfig",
    "AnyNormalizer",
    "AnyScheduleConfig",
    "AnyTracker",
    "AnyTrainerConfig",
    "BaseTrainerConfig",
    "BestCheckpointCallbackConfig",
    "BestMetricCallbackConfig",
    "CallBackBaseConfig",
    "CallbacksConfig",
    "CheckpointCallbackConfig",
    "CheckpointInitializerConfig",
    "CompositeModelConfig",
    "ConfigSchema",
    "ConstantScheduleConfig",
    "CosineDecreasingScheduleConfig",
    "CosineIncreasingScheduleConfig",
    "CustomScheduleConfig",
    "DatasetBaseConfig",
    "DatasetWrappers",
    "DecreasingProgressScheduleConfig",
    "EmaCallbackConfig",
    "FixedEarlyStopperConfig",
    "IncreasingProgressScheduleConfig",
    "InitializerConfig",
    "LinearDecreasingScheduleConfig",
    "LinearIncreasingScheduleConfig",
    "LinearWarmupCosineDecayScheduleConfig",
    "MLPConfig",
    "MeanStdNormalizerConfig",
    "MetricEarlyStopperConfig",
    "ModelBaseConfig",
    "OfflineLossCallbackConfig",
    "OnlineLossCallbackConfig",
    "OpenUnion",
    "OptimizerConfig",
    "ParamGroupModifierConfig",
    "PeriodicBoolScheduleConfig",
    "PeriodicDataIteratorCallbackConfig",
    "PluginsConfig",
    "PolynomialDecreasingScheduleConfig",
    "PolynomialIncreasingScheduleConfig",
    "PositionNormalizerConfig",
    "PreviousRunInitializerConfig",
    "ProgressScheduleConfig",
    "RepeatWrapperConfig",
    "ResumeInitializerConfig",
    "ScheduleBaseConfig",
    "SchedulerConfig",
    "Schema",
    "ShiftAndScaleNormalizerConfig",
    "ShuffleWrapperConfig",
    "SlurmConfig",
    "StandardDatasetConfig",
    "StepDecreasingScheduleConfig",
    "StepFixedScheduleConfig",
    "StepIntervalScheduleConfig",
    "SubsetWrapperConfig",
    "SupervisedTrainerConfig",
    "TensorboardTrackerSchema",
    "TrackAdditionalOutputsCallbackConfig",
    "TrackioTrackerSchema",
    "WandBTrackerSchema",
]
