"""Config builders for engine tests (the toy regression dataset, an MLP, the supervised trainer)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import noether
from noether.core.schemas import ConfigSchema


def toy_config(output_path: Path, **trainer: Any) -> dict[str, Any]:
    """A complete config dict; ``trainer`` entries replace trainer fields."""
    data: dict[str, Any] = {
        "output_path": str(output_path),
        "store_code_in_output": False,
        "seed": 3,
        "datasets": {
            "train": {"kind": "tests.engine.toy.ToyDataset", "size": 64},
            "val": {"kind": "tests.engine.toy.ToyDataset", "size": 24},
        },
        "model": {
            "kind": "noether.core.models.MLP", "name": "mlp", "input_dim": 3, "output_dim": 1, "hidden_dim": 16,
            "optimizer_config": {"kind": "torch.optim.AdamW", "lr": 0.01},
        },
        "trainer": {
            "kind": "SupervisedTrainer", "max_epochs": 2, "effective_batch_size": 16,
            "forward_properties": ["x"], "target_properties": ["y"],
        },
    }
    if "max_updates" in trainer or "max_samples" in trainer:
        trainer.setdefault("max_epochs", None)
    data["trainer"].update(trainer)
    for key in [k for k, v in data["trainer"].items() if v is None]:
        del data["trainer"][key]
    return data


def build(data: dict[str, Any], **changes: Any) -> ConfigSchema:
    """Structure ``data`` after applying top-level ``changes``."""
    data = copy.deepcopy(data)
    data.update(changes)
    return noether.structure(data)
