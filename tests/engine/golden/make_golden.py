"""Writes the golden run directory (run once, by the code *before* the engine re-cut; kept for the record).

``python -m tests.engine.golden.make_golden`` trains the config in :func:`golden_config` twice: straight
through (its final weights, optimizer state, EMA shadows and metric rows become ``expected_*``) and stopped
after update :data:`CUT` like a SIGTERM. The stopped run's directory becomes ``run/``; the test resumes it with
the current code and demands bit-identical results. Do not re-run this to make a failing test pass: the point
of the files is that they were written by older code.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from noether.training.runner import run
from tests.engine.helpers import build, toy_config

HERE = Path(__file__).resolve().parent
UPDATES = 12
CUT = 7
RUN_ID = "golden"


def golden_config(output_path: Path) -> dict[str, Any]:
    """Accumulation, dropout, a schedule, EMA, an offline loss and periodic checkpoints on a tiny MLP."""
    data = toy_config(
        output_path, max_updates=UPDATES, effective_batch_size=8, max_batch_size=4,
        callbacks=[
            {"name": "CheckpointCallback", "every_n_updates": 4, "save_optim": True},
            {"name": "EmaCallback", "every_n_updates": 4, "target_factors": [0.9], "save_weights": False,
             "save_last_weights": True},
            {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_updates": 3},
        ],
    )
    data["datasets"]["train"]["size"] = 40
    data["datasets"]["val"]["size"] = 8
    data["model"]["hidden_dim"] = 8
    data["model"]["dropout"] = 0.2
    data["model"]["optimizer_config"]["schedule_config"] = {
        "kind": "noether.core.schedules.LinearWarmupCosineDecaySchedule", "warmup_percent": 0.25}
    data["datasets"]["train"]["wrappers"] = [{"kind": "noether.data.base.wrappers.ShuffleWrapper", "seed": 5}]
    return data


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        straight = run(build(golden_config(out), run_id="straight"))
        ckpt = straight.run_dir / "checkpoints"
        expected = {
            "model": torch.load(ckpt / "mlp_cp=last_model.th", weights_only=True)["state_dict"],
            "optim": torch.load(ckpt / "mlp_cp=last_optim.th", weights_only=True),
            "ema": torch.load(ckpt / "mlp_ema=0.9_cp=last_model.th", weights_only=True)["state_dict"],
        }
        torch.save(expected, HERE / "expected_final.th")
        shutil.copy(straight.run_dir / "metrics.jsonl", HERE / "expected_metrics.jsonl")
        cut = run(build(golden_config(out), run_id=RUN_ID), interrupt_at_update=CUT)
        assert cut.interrupted
        target = HERE / "run"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(cut.run_dir, target, ignore=shutil.ignore_patterns("log.txt", "code.tar.gz"))
        (HERE / "golden.json").write_text(json.dumps({"updates": UPDATES, "cut": CUT, "run_id": RUN_ID}) + "\n")


if __name__ == "__main__":
    main()
