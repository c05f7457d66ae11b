"""The checkpoint of update K holds the state after every callback of K, whatever the order of the callback
list, and it follows K's metrics row (crash safety, issue 15 items 2-4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from noether.training.runner import run
from tests.engine import counting
from tests.engine.helpers import build, toy_config

METRIC = "loss/val/total"


@pytest.mark.parametrize("checkpoint_first", [True, False])
def test_checkpoint_holds_every_callback_state_of_its_update(tmp_path: Path, checkpoint_first: bool) -> None:
    checkpoint = {"name": "CheckpointCallback", "every_n_updates": 4, "save_optim": True}
    others = [
        {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_updates": 4},
        {"name": "MetricEarlyStopper", "metric_key": METRIC, "tolerance": 100, "every_n_updates": 4},
        {"name": "BestCheckpointCallback", "metric_key": METRIC, "every_n_updates": 4},
    ]
    callbacks = [checkpoint, *others] if checkpoint_first else [*others, checkpoint]
    result = run(build(toy_config(tmp_path, max_updates=8, callbacks=callbacks), run_id="order"))
    rows = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    at_4 = next(r[METRIC] for r in rows if r["update"] == 4 and METRIC in r)
    state = torch.load(result.run_dir / "checkpoints" / "mlp_cp=E1_U4_S64_trainer.th", weights_only=True)
    callbacks_state = state["callback_state_dicts"]
    assert callbacks_state["MetricEarlyStopper"]["best"] == at_4
    assert callbacks_state["BestCheckpointCallback"]["best"] == at_4
    # the summary saved with the checkpoint includes update 4 (a resumed run reports the exact summary)
    assert state["log_writer"]["summary"][METRIC]["last"] == at_4


def test_metrics_row_of_an_update_is_on_disk_before_its_checkpoint(tmp_path: Path) -> None:
    counting.SEEN_ROWS.clear()
    data = toy_config(tmp_path, max_updates=6, log_every_n_updates=1, callbacks=[
        {"name": "CheckpointCallback", "every_n_updates": 3, "save_optim": True},
        {"kind": "tests.engine.counting.MetricsFileProbe", "every_n_updates": 1}])
    run(build(data, run_id="rows"))
    # During update 4 (the first after checkpoint 3) the file already ends with the row of update 3.
    assert counting.SEEN_ROWS[3] == 3
