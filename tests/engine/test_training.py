"""The engine end to end on CPU: loss goes down, files are where they belong, numbers repeat."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

import noether
from noether.training.runner import run
from tests.engine.helpers import build, toy_config


def metrics(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def weights(run_dir: Path, tag: str = "last") -> dict[str, torch.Tensor]:
    data = torch.load(run_dir / "checkpoints" / f"mlp_cp={tag}_model.th", weights_only=True)
    return data["state_dict"]


def test_regression_run_learns_and_writes_the_run_directory(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_epochs=8, callbacks=[
        {"name": "CheckpointCallback", "every_n_epochs": 4},
        {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_epochs": 2},
    ])
    result = run(build(data, run_id="r1"))
    assert result.run_dir == tmp_path / "r1"
    assert (result.epoch, result.update, result.sample) == (8, 32, 512)
    rows = metrics(result.run_dir)
    online = [r["loss/online/total/U1"] for r in rows if "loss/online/total/U1" in r]
    assert len(online) == 32
    assert sum(online[-4:]) < 0.5 * sum(online[:4])
    assert [r["update"] for r in rows if "loss/val/total" in r] == [8, 16, 24, 32]
    summary = json.loads((result.run_dir / "summary.json").read_text())
    assert {"loss/val/total/min", "loss/val/total/last", "ds_stats/train/len"} <= set(summary)
    files = {p.name for p in (result.run_dir / "checkpoints").iterdir()}
    assert {"mlp_cp=E4_U16_S256_model.th", "mlp_cp=E8_U32_S512_model.th", "mlp_cp=last_model.th",
            "mlp_cp=last_optim.th", "mlp_cp=last_trainer.th", "latest.json"} <= files
    assert {"hp_resolved.yaml", "log.txt", "metrics.jsonl", "summary.json"} <= {
        p.name for p in result.run_dir.iterdir()}


def test_resolved_config_reruns_to_the_same_numbers(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_updates=6, callbacks=[
        {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_updates": 3},
        {"name": "CheckpointCallback", "every_n_updates": 6}])
    first = run(build(data))
    again = noether.load_config(first.run_dir / "hp_resolved.yaml")
    assert again.run_id == first.run_id
    second = run(again)
    assert second.run_dir != first.run_dir  # never overwrites an existing run
    w1, w2 = weights(first.run_dir), weights(second.run_dir)
    assert all(torch.equal(w1[k], w2[k]) for k in w1)
    strip = [{k: v for k, v in r.items() if not k.startswith("train_time")} for r in metrics(first.run_dir)]
    assert strip == [{k: v for k, v in r.items() if not k.startswith("train_time")}
                     for r in metrics(second.run_dir)]


@pytest.mark.parametrize("limit", [{"max_epochs": 2}, {"max_updates": 8}, {"max_samples": 128}])
def test_gradient_accumulation_matches_one_big_batch(tmp_path: Path, limit: dict[str, int]) -> None:
    ckpt = [{"name": "CheckpointCallback", "every_n_updates": 100}]
    limits = {"max_epochs": None, **limit}
    base = toy_config(tmp_path, effective_batch_size=16, callbacks=ckpt, **limits)
    plain = run(build(base, run_id="plain"))
    accumulated = run(build(toy_config(tmp_path, effective_batch_size=16, max_batch_size=4, callbacks=ckpt,
                                       **limits), run_id="acc"))
    assert plain.update == accumulated.update == 8
    w1, w2 = weights(plain.run_dir), weights(accumulated.run_dir)
    for key in w1:
        torch.testing.assert_close(w1[key], w2[key], rtol=1e-5, atol=1e-6)


def test_max_updates_zero_evaluates_without_training(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_epochs=0, callbacks=[
        {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_epochs": 1},
        {"name": "CheckpointCallback", "every_n_epochs": 1}])
    result = run(build(data))
    assert result.update == 0
    rows = metrics(result.run_dir)
    assert len(rows) == 1 and "loss/val/total" in rows[0] and rows[0]["update"] == 0


def test_frozen_model_is_not_trained(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_updates=3, max_epochs=None)
    data["model"]["is_frozen"] = True
    data["trainer"]["callbacks"] = [{"name": "CheckpointCallback", "every_n_updates": 1}]
    result = run(build(data))
    assert torch.equal(weights(result.run_dir, "E0_U1_S16")["net.0.weight"],
                       weights(result.run_dir)["net.0.weight"])


def test_skip_nan_loss_raises_after_the_maximum(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_updates=5, max_epochs=None, skip_nan_loss=True, skip_nan_loss_max_count=2)
    data["model"]["optimizer_config"]["lr"] = 1e30
    data["model"]["optimizer_config"]["kind"] = "torch.optim.SGD"
    with pytest.raises(RuntimeError, match="non-finite losses in a row"):
        run(build(data))


def test_duplicate_stateful_callback_keys_are_an_error(tmp_path: Path) -> None:
    data = toy_config(tmp_path, callbacks=[
        {"name": "MetricEarlyStopper", "metric_key": "loss/val/total", "tolerance": 2, "every_n_epochs": 1},
        {"name": "MetricEarlyStopper", "metric_key": "loss/val/loss_y", "tolerance": 2, "every_n_epochs": 1}])
    with pytest.raises(ValueError, match="set a unique 'id'"):
        run(build(data))


def test_run_of_something_else_than_a_root_config_says_what_it_takes(tmp_path: Path) -> None:
    config = build(toy_config(tmp_path))
    with pytest.raises(TypeError, match=r"takes the root config \(a ConfigSchema.*noether.load_config.*got "
                                        r"SupervisedTrainerConfig"):
        noether.run(config.trainer)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"got a dict: pass noether.structure\(data\)"):
        noether.run(toy_config(tmp_path))  # type: ignore[arg-type]
