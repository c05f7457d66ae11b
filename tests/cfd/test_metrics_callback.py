"""The CFD trainer's masked loss and the metrics callback in a real (tiny) run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from noether_cfd.training.trainer import masked_mean

import noether
from noether.training.runner import run
from tests.cfd.cfd_toy import toy_run_config


def test_masked_mean_ignores_padding() -> None:
    values = torch.tensor([[[1.0, 1.0], [3.0, 3.0], [100.0, 100.0]]])
    mask = torch.tensor([[True, True, False]])
    assert float(masked_mean(values, mask)) == 2.0
    assert float(masked_mean(values[..., 0], mask)) == 2.0


def test_a_run_logs_field_errors_coefficient_agreement_and_baselines(tmp_path: Path) -> None:
    result = run(noether.structure(toy_run_config(str(tmp_path))))
    metrics = result.last_metrics
    for key in ("rel_l2/test/surface_pressure", "rel_l2_area/test/surface_pressure", "mae/test/volume_velocity",
                "mse/test/volume_velocity", "r2/test/cf_x", "spearman/test/cm_y", "mae/test/cm_y",
                "baseline/rel_l2/test/surface_pressure", "baseline/r2/test/cf_x"):
        assert key in metrics, sorted(metrics)
        assert math.isfinite(metrics[key]), key
    # The training-mean predictor has R2 <= 0 on another set; a few updates of the model already beat its error.
    assert metrics["baseline/r2/test/cf_x"] <= 0.0
    assert metrics["rel_l2/test/volume_velocity"] < metrics["baseline/rel_l2/test/volume_velocity"]
    record = json.loads((result.run_dir / "cfd_normalization.json").read_text())
    assert record["normalizers"]["surface_pressure"][0]["std"] == [0.5]
