"""Everything a trainer needs from the run around it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import torch

from noether.core.layout import RunLayout


@attrs.define
class RunContext:
    """The run directory, datasets, device, tracker and process layout shared by trainer and callbacks."""

    run_dir: Path
    run_id: str
    datasets: dict[str, Any]
    train_dataset_key: str
    device: torch.device
    seed: int
    tracker: Any = None
    rank: int = 0
    world_size: int = 1
    num_workers: int = 0
    resolved_config: dict[str, Any] = attrs.field(factory=dict)
    resume: Any = None  # a ResumeState when continuing a run
    plugin_versions: dict[str, str] = attrs.field(factory=dict)

    @property
    def is_rank0(self) -> bool:
        """Whether this process writes files."""
        return self.rank == 0

    @property
    def checkpoint_dir(self) -> Path:
        """``<run_dir>/checkpoints``."""
        return RunLayout(self.run_dir).checkpoints

    def all_reduce_mean(self, value: torch.Tensor) -> torch.Tensor:
        """Mean of ``value`` over processes (identity in one process); callbacks reduce metrics with it."""
        from noether.training.distributed import all_reduce_mean

        return all_reduce_mean(value)

    def all_gather_cat(self, value: torch.Tensor) -> torch.Tensor:
        """``value`` of every process concatenated in rank order (the identity in a single process)."""
        from noether.training.distributed import all_gather_cat

        return all_gather_cat(value)
