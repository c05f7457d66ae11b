"""What one training step returns."""

from __future__ import annotations

from typing import Any

import attrs
import torch


@attrs.define
class TrainerResult:
    """The loss of one step, the named losses to log, and any further outputs callbacks may track."""

    total_loss: torch.Tensor
    losses_to_log: dict[str, torch.Tensor] | None = None
    additional_outputs: dict[str, Any] | None = None
