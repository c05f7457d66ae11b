"""The implementations; imported only when a run builds them."""

from typing import Any

import torch
from torch import nn

from noether.core.callbacks.base import PeriodicCallback
from noether.core.models.base import Model
from noether.data.dataset import Dataset, with_normalizers
from noether.training.trainer import BaseTrainer
from noether_example_plugin.schemas import (
    ExponentialDecayScheduleConfig,
    MinMaxNormalizerConfig,
    ResidualMLPConfig,
    SineDatasetConfig,
    WeightedMSETrainerConfig,
)


class ResidualMLP(Model):
    """Input projection, residual blocks, output projection."""

    def __init__(self, config: ResidualMLPConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.inp = nn.Linear(config.input_dim, config.width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(config.width), nn.Linear(config.width, config.width), nn.GELU())
            for _ in range(config.blocks)
        )
        self.out = nn.Linear(config.width, config.output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Residual MLP."""
        h = self.inp(x)
        for block in self.blocks:
            h = h + block(h)
        return self.out(h)


class SineDataset(Dataset):
    """Properties ``x`` and ``y``."""

    def __init__(self, config: SineDatasetConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        g = torch.Generator().manual_seed(config.seed)
        self.x = torch.rand(config.size, 1, generator=g) * 4 - 2
        self.y = torch.sin(config.a * self.x + config.b)

    def __len__(self) -> int:
        return len(self.x)

    def getitem_x(self, idx: int) -> torch.Tensor:
        """The input."""
        return self.x[idx]

    @with_normalizers
    def getitem_y(self, idx: int) -> torch.Tensor:
        """The target (normalized when the config gives a normalizer for ``y``)."""
        return self.y[idx]


class GradientNormCallback(PeriodicCallback):
    """Logs the global gradient norm of the last micro-step (gradients are still present)."""

    #: Only reports on training: not called in an evaluation-only run.
    runs_in_evaluation = False

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.last = 0.0

    def track_after_accumulation_step(self, counter: Any, batch: Any, losses: Any, additional_outputs: Any,
                                      accumulation_steps: int, accumulation_step: int) -> None:
        """Measure the gradient norm after the backward pass."""
        grads = [p.grad for p in self.model.parameters() if p.grad is not None]
        self.last = float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))) if grads else 0.0

    def periodic_callback(self, interval_type: str, counter: Any) -> None:
        """Log it."""
        self.ctx.metrics.add_scalar(f"gradient/norm/{self.interval_short}", self.last)


class ExponentialDecaySchedule:
    """``get_value(step, total)``: exponential decay from ``start_value``."""

    def __init__(self, config: ExponentialDecayScheduleConfig, **_: Any) -> None:
        self.config = config

    def get_value(self, step: int, total_steps: int) -> float:
        """The value at ``step`` of ``total_steps``."""
        if not 0 <= step <= total_steps:
            raise ValueError(f"step {step} outside [0, {total_steps}]")
        return self.config.start_value * self.config.rate ** (step / max(1, total_steps))


class MinMaxNormalizer:
    """``(x - min) / (max - min)`` and back."""

    def __init__(self, config: MinMaxNormalizerConfig, normalization_key: str = "", **_: Any) -> None:
        self.low, self.span = config.min, config.max - config.min
        self.key = normalization_key

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """To [0, 1]."""
        return (x - self.low) / self.span

    def denormalize(self, y: torch.Tensor) -> torch.Tensor:
        """Back to the data's units."""
        return y * self.span + self.low

    __call__ = normalize


class WeightedMSETrainer(BaseTrainer):
    """Sum over targets of weight * MSE."""

    def loss_compute(self, forward_output: Any, targets: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One loss per target."""
        weights = self.config.weights if isinstance(self.config, WeightedMSETrainerConfig) else {}
        out = forward_output if isinstance(forward_output, dict) else {next(iter(targets)): forward_output}
        return {f"mse_{k}": weights.get(k, 1.0) * torch.mean((out[k] - t) ** 2) for k, t in targets.items()}
