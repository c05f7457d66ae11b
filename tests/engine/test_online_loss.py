"""Online losses: the logged means are the float32 running sums of the micro-step losses, for every key."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from noether.training.runner import run
from tests.engine import loss_probe
from tests.engine.helpers import build, toy_config


def expected_mean(values: list[torch.Tensor]) -> float:
    """What the callback always computed: ``((l0 + l1) + l2) ...`` in float32, divided by the count."""
    total = values[0].float()
    for value in values[1:]:
        total = total + value.float()
    return float(total / len(values))


def test_online_means_of_a_single_loss_and_its_total(tmp_path: Path) -> None:
    loss_probe.LOSSES.clear()
    # 4 micro-steps per update (batch 16 in micro-batches of 4), online losses every 3 updates and at the
    # default intervals; a resume in the middle restores the running sums.
    data = toy_config(tmp_path, max_updates=9, max_batch_size=4, callbacks=[
        {"kind": "tests.engine.loss_probe.LossProbe", "every_n_updates": 1},
        {"name": "OnlineLossCallback", "every_n_updates": 3}])
    result = run(build(data, run_id="r"))
    steps = loss_probe.LOSSES
    assert len(steps) == 9 * 4
    assert all(set(step) == {"total", "loss_y"} and torch.equal(step["total"], step["loss_y"]) for step in steps)
    rows = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    by_update = {row["update"]: row for row in rows}
    for key in ("total", "loss_y"):
        for update in (3, 6, 9):
            window = [step[key] for step in steps[(update - 3) * 4:update * 4]]
            assert by_update[update][f"loss/online/{key}/U3"] == expected_mean(window)
        for update in range(1, 10):
            window = [step[key] for step in steps[(update - 1) * 4:update * 4]]
            assert by_update[update][f"loss/online/{key}/U1"] == expected_mean(window)

    # Stopped after update 4 (a window of U3 half full), resumed: the same rows.
    cut = tmp_path / "cut"
    data = toy_config(cut, max_updates=9, max_batch_size=4,
                      callbacks=[{"name": "OnlineLossCallback", "every_n_updates": 3}])
    run(build(data, run_id="c"), interrupt_at_update=4)
    resumed = run(build(data, run_id="c", resume_run_id="c"))
    again = [json.loads(line) for line in (resumed.run_dir / "metrics.jsonl").read_text().splitlines()]
    strip = [{k: v for k, v in row.items() if not k.startswith("train_time/")} for row in rows]
    assert [{k: v for k, v in row.items() if not k.startswith("train_time/")} for row in again] == strip
