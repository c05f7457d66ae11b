"""A ready-made trainer for regression: compare model outputs with target properties."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from noether.core.schemas.trainers import SupervisedTrainerConfig
from noether.training.trainer import BaseTrainer

_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "mse": F.mse_loss, "l1": F.l1_loss, "huber": F.huber_loss,
}


def relative_l2(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample relative L2 error ``||pred - target|| / ||target||`` (one value per batch item)."""
    diff = (prediction - target).reshape(len(target), -1).float()
    ref = target.reshape(len(target), -1).float()
    return diff.norm(dim=1) / ref.norm(dim=1).clamp_min(1e-12)


class SupervisedTrainer(BaseTrainer):
    """Loss per target property (``loss_<property>``), weighted and summed; reports ``rel_l2/<property>``."""

    config_class = SupervisedTrainerConfig

    def __init__(self, config: SupervisedTrainerConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        if not self.target_properties:
            raise ValueError("SupervisedTrainer needs 'target_properties' (the batch keys to predict)")
        self.loss_fn = _LOSSES[config.loss]
        self.weights = dict(config.loss_weights or {})
        self._tracks_outputs: bool | None = None
        self._loss_names: dict[str, str] = {}  # target -> its loss key

    def loss_compute(self, forward_output: Any, targets: dict[str, torch.Tensor]) -> Any:
        """One loss per target; the model returns a tensor (single target) or a dict keyed by target."""
        # One tensor is the prediction of the only target (not wrapped in a dict: one allocation fewer per step).
        single = forward_output if isinstance(forward_output, torch.Tensor) else None
        if single is not None and len(targets) != 1:
            raise ValueError(
                f"the model returned one tensor but there are {len(targets)} targets; return a dict keyed by "
                f"{sorted(targets)}"
            )
        losses: dict[str, torch.Tensor] = {}
        outputs: dict[str, torch.Tensor] = {}
        # Known not to report in training (the usual case): no method call per step.
        report = False if self._tracks_outputs is False and torch.is_grad_enabled() else self._report_outputs()
        names = self._loss_names
        for key, target in targets.items():
            if single is not None:
                prediction = single
            elif key in forward_output:
                prediction = forward_output[key]
            else:
                raise KeyError(f"the model output has no '{key}' (it has {sorted(forward_output)})")
            # ``.float()`` of a float32 tensor returns it, but through the dispatcher: skipped for float32.
            loss = self.loss_fn(prediction if prediction.dtype is torch.float32 else prediction.float(),
                                target if target.dtype is torch.float32 else target.float())
            weight = self.weights.get(key)
            name = names.get(key)
            if name is None:
                name = names[key] = f"loss_{key}"
            losses[name] = loss if weight is None else weight * loss
            if report:
                with torch.no_grad():
                    outputs[f"rel_l2/{key}"] = relative_l2(prediction.detach(), target)
        return losses, outputs

    def _report_outputs(self) -> bool:
        # Error metrics cost a few kernels per step: compute them in evaluation (no grad) always, in training
        # only when a callback tracks additional outputs.
        if not torch.is_grad_enabled():
            return True
        if self._tracks_outputs is None:
            from noether.core.callbacks.metrics import TrackAdditionalOutputsCallback

            self._tracks_outputs = any(isinstance(cb, TrackAdditionalOutputsCallback) for cb in self.callbacks)
        return self._tracks_outputs
