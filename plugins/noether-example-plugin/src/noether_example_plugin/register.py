"""The module the ``noether.plugins`` entry point names: it registers every kind, importing no torch."""

from noether import hookimpl
from noether_example_plugin import schemas

_P = "noether_example_plugin"


@hookimpl
def noether_register_components(register) -> None:  # type: ignore[no-untyped-def]
    """Register one component of each family."""
    register("model", f"{_P}.ResidualMLP", config=schemas.ResidualMLPConfig, component=f"{_P}.components:ResidualMLP")
    register("dataset", f"{_P}.SineDataset", config=schemas.SineDatasetConfig,
             component=f"{_P}.components:SineDataset")
    register("callback", "GradientNormCallback", config=schemas.GradientNormCallbackConfig,
             component=f"{_P}.components:GradientNormCallback")
    register("schedule", f"{_P}.ExponentialDecaySchedule", config=schemas.ExponentialDecayScheduleConfig,
             component=f"{_P}.components:ExponentialDecaySchedule")
    register("normalizer", f"{_P}.MinMaxNormalizer", config=schemas.MinMaxNormalizerConfig,
             component=f"{_P}.components:MinMaxNormalizer")
    register("trainer", f"{_P}.WeightedMSETrainer", config=schemas.WeightedMSETrainerConfig,
             component=f"{_P}.components:WeightedMSETrainer")
