"""A model and callbacks that record the model's train/eval mode (named by class path in configs)."""

from __future__ import annotations

from typing import Any

import torch

from noether.core.callbacks.base import PeriodicCallback
from noether.core.models.mlp import MLP

#: Every ``train(mode)`` call on the model (``eval()`` is ``train(False)``), in order.
switches: list[bool] = []
#: ``(callback id, update, model.training)`` at every firing of a probe.
seen: list[tuple[str, int, bool]] = []
#: ``model.training`` at every micro-step of training.
steps: list[bool] = []
#: Whether CPU autocast was on, at every forward pass in train mode.
autocast: list[bool] = []


class ModeCountingMLP(MLP):
    """The built-in MLP, recording each switch of its mode."""

    def train(self, mode: bool = True) -> ModeCountingMLP:
        switches.append(mode)
        super().train(mode)
        return self

    def forward(self, *args: torch.Tensor, **inputs: torch.Tensor) -> Any:
        if self.training:
            autocast.append(torch.is_autocast_enabled("cpu"))
        return super().forward(*args, **inputs)


class EvaluatingProbe(PeriodicCallback):
    """A third-party callback that evaluates: declares nothing, so it gets the model in eval mode."""

    def periodic_callback(self, interval_type: str, counter: Any) -> None:
        seen.append((self.checkpoint_key, counter.update, self.ctx.forward_model.training))
        with torch.no_grad():
            self.ctx.forward_model(x=torch.zeros(2, 3))


class QuietProbe(PeriodicCallback):
    """A callback that declares it does not run the model."""

    may_use_rng = False
    needs_eval_mode = False

    def periodic_callback(self, interval_type: str, counter: Any) -> None:
        seen.append((self.checkpoint_key, counter.update, self.ctx.forward_model.training))

    def track_after_accumulation_step(self, counter: Any, batch: Any, losses: Any, additional_outputs: Any,
                                      accumulation_steps: int, accumulation_step: int) -> None:
        steps.append(self.ctx.forward_model.training)


def clear() -> None:
    """Forget what earlier runs recorded."""
    switches.clear()
    seen.clear()
    steps.clear()
    autocast.clear()
