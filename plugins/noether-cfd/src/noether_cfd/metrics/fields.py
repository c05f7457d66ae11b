"""Per-sample field errors on padded batches: relative L2 (plain and area-weighted), MAE and MSE.

Every function takes ``(B, N, C)`` (or ``(B, N)``) values with a ``(B, N)`` mask (``True`` = real point) and
returns one value per sample, so that padding never enters a metric.
"""

from __future__ import annotations

import torch

#: Smallest reference norm, so that an all-zero target gives a large (not infinite) relative error.
EPS = 1e-12


def _prepare(
    prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None, weights: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(pred, target, w)`` as float64 ``(B, N, C)`` and per-point weights ``(B, N, 1)`` (0 where masked)."""
    if prediction.shape != target.shape:
        raise ValueError(f"prediction shape {tuple(prediction.shape)} differs from target {tuple(target.shape)}")
    pred = prediction.double()
    true = target.double()
    if pred.dim() == 2:
        pred, true = pred.unsqueeze(-1), true.unsqueeze(-1)
    w = torch.ones(pred.shape[:2], dtype=torch.float64, device=pred.device)
    if weights is not None:
        w = w * weights.double().reshape(pred.shape[:2])
    if mask is not None:
        w = w * mask.reshape(pred.shape[:2]).double()
    return pred, true, w.unsqueeze(-1)


def relative_l2(
    prediction: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor | None = None,
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """``sqrt(sum w |p - t|^2) / sqrt(sum w |t|^2)`` per sample; ``weights`` (e.g. areas) give the weighted form."""
    pred, true, w = _prepare(prediction, target, mask, weights)
    error = ((pred - true) ** 2 * w).sum(dim=(1, 2)).sqrt()
    reference = (true**2 * w).sum(dim=(1, 2)).sqrt()
    return error / reference.clamp_min(EPS)


def mean_absolute_error(
    prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean of ``|p - t|`` over the real points and channels of each sample."""
    pred, true, w = _prepare(prediction, target, mask, None)
    count = (w.sum(dim=(1, 2)) * pred.shape[-1]).clamp_min(1)
    return ((pred - true).abs() * w).sum(dim=(1, 2)) / count


def mean_squared_error(
    prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean of ``(p - t)^2`` over the real points and channels of each sample."""
    pred, true, w = _prepare(prediction, target, mask, None)
    count = (w.sum(dim=(1, 2)) * pred.shape[-1]).clamp_min(1)
    return ((pred - true) ** 2 * w).sum(dim=(1, 2)) / count
