"""``noether_cfd.CfdTrainer``: the supervised trainer with masked losses for padded point clouds."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from noether.training.result import TrainerResult
from noether.training.supervised import SupervisedTrainer
from noether_cfd.metrics.fields import relative_l2
from noether_cfd.training.inputs import model_inputs
from noether_cfd.training.masks import mask_for
from noether_cfd.training.record import NormalizationRecord
from noether_cfd.training.schemas import CfdTrainerConfig

_ELEMENTWISE = {
    "mse": lambda p, t: F.mse_loss(p, t, reduction="none"),
    "l1": lambda p, t: F.l1_loss(p, t, reduction="none"),
    "huber": lambda p, t: F.huber_loss(p, t, reduction="none"),
}


def masked_mean(values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean of ``(B, N, ...)`` values over real points only (all points when ``mask`` is ``None``)."""
    if mask is None:
        return values.mean()
    weight = mask.reshape(*mask.shape, *([1] * (values.dim() - mask.dim()))).to(values.dtype)
    per_point = values[0, 0].numel() if values.dim() > 2 else 1
    return (values * weight).sum() / (weight.sum() * per_point).clamp_min(1.0)


class CfdTrainer(SupervisedTrainer):
    """Loss per target field over the real points of each padded point set (see :class:`CfdTrainerConfig`)."""

    config_class = CfdTrainerConfig

    def __init__(self, config: CfdTrainerConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.elementwise = _ELEMENTWISE[config.loss]

    def train_step(self, batch: dict[str, Any], model: torch.nn.Module) -> TrainerResult:
        """Forward the batch (configured inputs, or every non-target key) and compute the masked losses."""
        if not self._checked_batch_keys:
            self._check_batch_keys(batch, self.forward_properties_for(model))
        output = model(**self.model_inputs(batch, model))
        return self.to_result(self.masked_losses(output, batch))

    def model_inputs(self, batch: dict[str, Any], model: torch.nn.Module) -> dict[str, Any]:
        """The keyword arguments of the model: its forward properties, else every non-target batch key."""
        return model_inputs(batch, self.forward_properties_for(model), self.target_properties)

    def masked_losses(self, output: Any, batch: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """``loss_<field>`` over real points; ``rel_l2/<field>`` per sample when outputs are reported."""
        if isinstance(output, torch.Tensor):
            if len(self.target_properties) != 1:
                raise ValueError(
                    f"the model returned one tensor but there are {len(self.target_properties)} targets; return a "
                    f"dict keyed by {sorted(self.target_properties)}"
                )
            output = {self.target_properties[0]: output}
        losses: dict[str, torch.Tensor] = {}
        extra: dict[str, Any] = {}
        report = self._report_outputs()
        for key in self.target_properties:
            if key not in output:
                raise KeyError(f"the model output has no '{key}' (it has {sorted(output)})")
            prediction, target = output[key].float(), batch[key].float()
            if prediction.shape != target.shape:
                raise ValueError(f"'{key}': the model returned shape {tuple(prediction.shape)}, the target has "
                                 f"{tuple(target.shape)}")
            mask = mask_for(batch, key)
            loss = masked_mean(self.elementwise(prediction, target), mask)
            weight = self.weights.get(key)
            losses[f"loss_{key}"] = loss if weight is None else weight * loss
            if report:
                with torch.no_grad():
                    extra[f"rel_l2/{key}"] = relative_l2(prediction.detach(), target, mask).float()
        return losses, extra

    def get_trainer_callbacks(self) -> list[Any]:
        """The record of the training dataset's normalizers (for ``noether predict``)."""
        context = self.context
        dataset = context.datasets[context.train_dataset_key]
        return [NormalizationRecord(None, ctx=self.callback_context, run_dir=context.run_dir, dataset=dataset,
                                    dataset_key=context.train_dataset_key, is_rank0=context.is_rank0)]
