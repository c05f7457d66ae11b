"""Torch-free registration of the CFD trainer."""

from typing import Any


def register(register: Any) -> None:
    """Register the CFD trainer kind."""
    register("trainer", "noether_cfd.CfdTrainer", config="noether_cfd.training.schemas:CfdTrainerConfig",
             component="noether_cfd.training.trainer:CfdTrainer", aliases=("CfdTrainer",))
