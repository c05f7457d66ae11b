"""The trainer kinds this package provides, registered as a built-in plugin (torch-free)."""

from __future__ import annotations

from noether.core.registry.hookspecs import RegisterFunction, hookimpl
from noether.core.schemas import trainers


@hookimpl
def noether_register_components(register: RegisterFunction) -> None:
    """Register the trainers under ``noether.training.trainers.<Name>`` and the short name."""
    register("trainer", "noether.training.trainers.BaseTrainer", config=trainers.BaseTrainerConfig,
             component="noether.training.trainer:BaseTrainer", aliases=("BaseTrainer",))
    register("trainer", "noether.training.trainers.SupervisedTrainer", config=trainers.SupervisedTrainerConfig,
             component="noether.training.supervised:SupervisedTrainer", aliases=("SupervisedTrainer",))
