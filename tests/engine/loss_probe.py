"""A callback that records every micro-step's losses (named by class path in configs)."""

from __future__ import annotations

from typing import Any

import torch

from noether.core.callbacks.base import PeriodicCallback

#: ``{loss name: tensor}`` of every micro-step, in order (copies: the callback owns them).
LOSSES: list[dict[str, torch.Tensor]] = []


class LossProbe(PeriodicCallback):
    """Copies the losses the trainer hands to callbacks after each micro-step."""

    may_use_rng = False
    needs_eval_mode = False

    def track_after_accumulation_step(self, counter: Any, batch: Any, losses: dict[str, torch.Tensor],
                                      additional_outputs: Any, accumulation_steps: int,
                                      accumulation_step: int) -> None:
        LOSSES.append({key: value.clone() for key, value in losses.items()})
