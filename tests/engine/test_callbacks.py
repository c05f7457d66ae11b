"""Callbacks fire exactly at the counters the behaviour file gives; their rules hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from noether.training.runner import run
from tests.engine import counting
from tests.engine.helpers import build, toy_config

# 64 samples, effective batch 16: 4 updates per epoch; 5 epochs = 20 updates = 320 samples.
GRID = [
    ({"every_n_epochs": 2}, [("epoch", 2, 8, 128), ("epoch", 4, 16, 256)]),
    ({"every_n_updates": 6}, [("update", 1, 6, 96), ("update", 3, 12, 192), ("update", 4, 18, 288)]),
    ({"every_n_samples": 100, "batch_size": 8},
     [("sample", 1, 7, 112), ("sample", 3, 13, 208), ("sample", 4, 19, 304)]),
    ({"every_n_epochs": 5}, [("epoch", 5, 20, 320)]),
]


@pytest.mark.parametrize(("interval", "expected"), GRID)
def test_firing_grid(tmp_path: Path, interval: dict[str, int], expected: list[tuple[Any, ...]]) -> None:
    counting.FIRED.clear()
    data = toy_config(tmp_path, max_epochs=5, callbacks=[
        {"kind": "tests.engine.counting.CountingCallback", "id": "c", **interval}])
    run(build(data))
    assert [f[1:] for f in counting.FIRED] == expected


def test_fixed_early_stopper_at_epoch_still_runs_that_epochs_callbacks(tmp_path: Path) -> None:
    counting.FIRED.clear()
    data = toy_config(tmp_path, max_epochs=5, callbacks=[
        {"name": "FixedEarlyStopper", "stop_at_epoch": 2},
        {"kind": "tests.engine.counting.CountingCallback", "id": "c", "every_n_epochs": 1}])
    result = run(build(data))
    assert result.epoch == 2 and result.update == 8
    assert [f[2] for f in counting.FIRED] == [1, 2]
    assert (result.run_dir / "checkpoints" / "E2_U8_S128.early_exit.manifest.json").exists()


@pytest.mark.parametrize(("field", "value", "update"), [("stop_at_update", 5, 5), ("stop_at_sample", 100, 7)])
def test_fixed_early_stopper_by_update_and_sample(tmp_path: Path, field: str, value: int, update: int) -> None:
    data = toy_config(tmp_path, max_epochs=5, callbacks=[{"name": "FixedEarlyStopper", field: value}])
    assert run(build(data)).update == update


def test_metric_early_stopper_stops_after_tolerance_misses(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_epochs=50, callbacks=[
        {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_epochs": 1},
        {"name": "MetricEarlyStopper", "metric_key": "loss/val/total", "tolerance": 2, "every_n_epochs": 1}])
    data["datasets"]["val"]["seed"] = 9  # a different function: the val loss soon stops improving
    result = run(build(data))
    rows = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    values = [r["loss/val/total"] for r in rows if "loss/val/total" in r]
    assert result.epoch < 50
    best = min(values)
    assert values.index(best) == len(values) - 3  # two misses after the best, then stop


def test_ema_matches_the_update_rule(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_updates=3, callbacks=[
        {"name": "EmaCallback", "every_n_updates": 1, "target_factors": [0.5]},
        {"name": "CheckpointCallback", "every_n_updates": 1}])
    result = run(build(data))
    ckpt = result.run_dir / "checkpoints"
    shadow = torch.load(ckpt / "mlp_cp=E0_U1_S16_model.th", weights_only=True)["state_dict"]
    # Reconstruct: shadow_0 = initial weights; shadow_u = 0.5 shadow_{u-1} + 0.5 w_u.
    init = None
    for u, tag in enumerate(["E0_U1_S16", "E0_U2_S32", "E0_U3_S48"], start=1):
        w = torch.load(ckpt / f"mlp_cp={tag}_model.th", weights_only=True)["state_dict"]
        ema = torch.load(ckpt / f"mlp_ema=0.5_cp={tag}_model.th", weights_only=True)["state_dict"]
        if init is None:
            init = {k: 2 * ema[k] - w[k] for k in w}
            shadow = init
        shadow = {k: 0.5 * shadow[k] + 0.5 * w[k] for k in w}
        for k in w:
            torch.testing.assert_close(ema[k], shadow[k], rtol=0, atol=1e-6)
        assert u


def test_best_checkpoint_and_tolerances(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_epochs=12, callbacks=[
        {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_epochs": 1},
        {"name": "BestCheckpointCallback", "metric_key": "loss/val/total", "every_n_epochs": 1,
         "tolerances": [1]},
        {"name": "CheckpointCallback", "every_n_epochs": 1},
        {"name": "BestMetricCallback", "source_metric_key": "loss/val/total", "every_n_epochs": 1,
         "target_metric_keys": ["loss/val/loss_y"]}])
    data["datasets"]["val"]["seed"] = 9
    result = run(build(data))
    rows = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    values = [(r["epoch"], r["loss/val/total"]) for r in rows if "loss/val/total" in r]
    best_epoch = min(values, key=lambda v: v[1])[0]
    ckpt = result.run_dir / "checkpoints"
    best = torch.load(ckpt / "mlp_cp=best_model.loss.val.total_model.th", weights_only=True)
    assert best["training_iteration"]["epoch"] == best_epoch
    tol = torch.load(ckpt / "mlp_cp=best_model.loss.val.total.tolerance=1_model.th", weights_only=True)
    # The tolerance-1 model follows every new best until the metric misses twice in a row, then freezes.
    expected, misses, current_best, frozen = None, 0, float("inf"), False
    for epoch, value in values:
        if value < current_best:
            current_best, misses = value, 0
            if not frozen:
                expected = epoch
        else:
            misses += 1
            frozen = frozen or misses > 1
    assert tol["training_iteration"]["epoch"] == expected
    at_best = [r["loss/val/loss_y/at_best/loss/val/total"] for r in rows if "loss/val/total" in r]
    assert at_best[-1] == pytest.approx(min(v for _, v in values))


def test_verify_resume_finds_a_stateless_callback(tmp_path: Path) -> None:
    from noether.training.verify import verify_resume

    data = toy_config(tmp_path, max_updates=10, callbacks=[
        {"kind": "tests.engine.counting.StatelessCounter", "every_n_updates": 1}])
    report = verify_resume(build(data), updates=10, interrupt_at=4)
    assert not report.identical
    assert "count/fired" in report.differences[0]
    good = toy_config(tmp_path / "good", max_updates=10)
    assert verify_resume(build(good), updates=10, interrupt_at=4).identical


def test_a_failing_callback_does_not_hide_the_others(tmp_path: Path) -> None:
    counting.FIRED.clear()
    data = toy_config(tmp_path, max_epochs=3, callbacks=[
        {"kind": "tests.engine.counting.FailingCallback", "every_n_epochs": 1},
        {"kind": "tests.engine.counting.CountingCallback", "id": "after", "every_n_epochs": 1}])
    with pytest.raises(RuntimeError, match="boom from a callback"):
        run(build(data, run_id="fail"))
    assert [f[:3] for f in counting.FIRED] == [("after", "epoch", 1)]  # ran although the first one failed
    assert (tmp_path / "fail" / "checkpoints" / "E1_U4_S64.error.manifest.json").exists()
