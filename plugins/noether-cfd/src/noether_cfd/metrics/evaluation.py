"""Per-batch evaluation in physical units: field errors and coefficients of one padded batch (pure functions).

The metrics callback is a thin shell over these functions, so that they are tested (and ported to another
engine) on their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from noether_cfd import batch as keys
from noether_cfd.metrics.across import agreement
from noether_cfd.metrics.fields import mean_absolute_error, mean_squared_error, relative_l2
from noether_cfd.metrics.forces import Reference, force_coefficients
from noether_cfd.training.masks import mask_for

#: ``physical(key, tensor)``: the tensor in physical units (the dataset's denormalizer of ``key``).
Physical = Callable[[str, torch.Tensor], torch.Tensor]


def identity(_key: str, value: torch.Tensor) -> torch.Tensor:
    """A :data:`Physical` for data that is not normalized."""
    return value


def surface_coefficients(
    pressure: torch.Tensor, batch: Mapping[str, Any], physical: Physical, reference: Reference,
    wallshear: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Coefficients of each sample from a (physical) surface ``pressure`` and the batch's surface geometry."""
    missing = [k for k in (keys.SURFACE_POSITION, keys.SURFACE_NORMAL, keys.SURFACE_AREA) if k not in batch]
    if missing:
        raise KeyError(f"integrating coefficients needs {', '.join(missing)} in the batch; it has {sorted(batch)}")
    return force_coefficients(
        pressure,
        batch[keys.SURFACE_NORMAL],
        physical(keys.SURFACE_AREA, batch[keys.SURFACE_AREA]),
        physical(keys.SURFACE_POSITION, batch[keys.SURFACE_POSITION]),
        reference,
        mask=batch.get(keys.SURFACE_MASK),
        wallshear=wallshear,
    )


def batch_metrics(
    output: Mapping[str, torch.Tensor],
    batch: Mapping[str, Any],
    *,
    fields: Sequence[str],
    physical: Physical = identity,
    coefficients: Sequence[str] = (),
    reference: Reference | None = None,
    baseline_means: Mapping[str, torch.Tensor] | None = None,
) -> dict[str, torch.Tensor]:
    """Per-sample metrics ``(B,)`` of one batch, keyed ``<field>/<metric>`` and ``coef/<name>/{pred,true}``.

    ``baseline_means`` (physical per-channel means of each field) adds ``baseline/<field>/rel_l2``: the error
    of predicting that constant everywhere.
    """
    out: dict[str, torch.Tensor] = {}
    predicted: dict[str, torch.Tensor] = {}
    true: dict[str, torch.Tensor] = {}
    for field in fields:
        if field not in output:
            raise KeyError(f"the model output has no '{field}' (it has {sorted(output)})")
        if field not in batch:
            raise KeyError(f"the batch has no target '{field}' (it has {sorted(batch)})")
        prediction = physical(field, output[field].detach())
        target = physical(field, batch[field])
        predicted[field], true[field] = prediction, target
        mask = mask_for(batch, field)
        out[f"{field}/rel_l2"] = relative_l2(prediction, target, mask)
        if field.startswith("surface_") and keys.SURFACE_AREA in batch:
            out[f"{field}/rel_l2_area"] = relative_l2(prediction, target, mask, batch[keys.SURFACE_AREA])
        out[f"{field}/mae"] = mean_absolute_error(prediction, target, mask)
        out[f"{field}/mse"] = mean_squared_error(prediction, target, mask)
        if baseline_means is not None and field in baseline_means:
            constant = baseline_means[field].to(target).expand_as(target)
            out[f"baseline/{field}/rel_l2"] = relative_l2(constant, target, mask)
    if coefficients:
        if keys.SURFACE_PRESSURE not in predicted:
            raise ValueError("coefficients need 'surface_pressure' among the evaluated fields")
        ref = reference or Reference()
        pred_c = surface_coefficients(predicted[keys.SURFACE_PRESSURE], batch, physical, ref,
                                      predicted.get(keys.SURFACE_WALLSHEAR))
        true_c = surface_coefficients(true[keys.SURFACE_PRESSURE], batch, physical, ref,
                                      true.get(keys.SURFACE_WALLSHEAR))
        for name in coefficients:
            out[f"coef/{name}/pred"] = pred_c[name]
            out[f"coef/{name}/true"] = true_c[name]
    return out


def field_means(batches: Sequence[Mapping[str, Any]], fields: Sequence[str], physical: Physical = identity
                ) -> dict[str, torch.Tensor]:
    """Per-channel mean of each field over every real point of ``batches`` (the mean-field baseline)."""
    sums: dict[str, torch.Tensor] = {}
    counts: dict[str, float] = {}
    for batch in batches:
        for field in fields:
            value = physical(field, batch[field]).double()
            if value.dim() == 2:
                value = value.unsqueeze(-1)
            mask = mask_for(batch, field)
            weight = torch.ones(value.shape[:2], dtype=torch.float64) if mask is None else mask.double()
            sums[field] = sums.get(field, 0) + (value * weight.unsqueeze(-1)).sum(dim=(0, 1))
            counts[field] = counts.get(field, 0.0) + float(weight.sum())
    return {f: (sums[f] / max(counts[f], 1.0)).float() for f in sums}


def summarize(
    results: Mapping[str, torch.Tensor], coefficients: Sequence[str],
    baseline_coefficients: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Means of the per-sample metrics and, per coefficient, R², Spearman and MAE across the samples."""
    summary: dict[str, float] = {}
    for key, values in results.items():
        if not key.startswith("coef/"):
            summary[key] = float(values.double().mean())
    for name in coefficients:
        pred = results[f"coef/{name}/pred"].double().cpu().numpy()
        true = results[f"coef/{name}/true"].double().cpu().numpy()
        for metric, value in agreement(pred, true).items():
            summary[f"{name}/{metric}"] = value
        if baseline_coefficients is not None and name in baseline_coefficients:
            constant = np.full_like(true, baseline_coefficients[name])
            for metric, value in agreement(constant, true).items():
                if metric != "spearman":  # a constant has no ranking
                    summary[f"baseline/{name}/{metric}"] = value
    return summary
