"""The Trackio tracker: metrics land in Trackio's local store; a missing package gives the install line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from noether.core.schemas import TrackioTrackerSchema
from noether.core.trackers.trackio import TrackioTracker, trackio_run_name
from tests.trackers.helpers import metrics_lines, no_network_prefix

# Trackio fixes its storage directory when it is imported, so the runs that use it are subprocesses with their
# own TRACKIO_DIR: a test never writes to ~/.cache/huggingface/trackio.
READ_BACK = """
import json, sys
from trackio.sqlite_storage import SQLiteStorage
project = sys.argv[1]
runs = SQLiteStorage.get_runs(project)
print(json.dumps({"runs": runs, "logs": {run: SQLiteStorage.get_logs(project, run) for run in runs},
                  "config": {run: SQLiteStorage.get_run_config(project, run) for run in runs}}))
"""


def test_missing_package_names_the_pip_install_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "trackio", None)
    with pytest.raises(ImportError, match=r"pip install trackio"):
        TrackioTracker(TrackioTrackerSchema(project="p"), run_dir=tmp_path, run_name="r", run_id="r", hp={})


def test_run_name_carries_the_id_and_stage() -> None:
    assert trackio_run_name("2026-01-01_abcde", "2026-01-01_abcde", None) == "2026-01-01_abcde"
    assert trackio_run_name("toy", "2026-01-01_abcde", None) == "toy_2026-01-01_abcde"
    assert trackio_run_name("toy", "2026-01-01_abcde", "finetune") == "toy_2026-01-01_abcde/finetune"


@pytest.mark.slow
def test_run_logs_metrics_config_and_summary_locally(tmp_path: Path, cli_env: dict[str, str]) -> None:
    pytest.importorskip("trackio")
    from noether.core.config.dump import dump_yaml
    from tests.engine.helpers import toy_config

    data = toy_config(tmp_path / "out", max_epochs=2)
    data["name"] = "toy"
    data["tracker"] = {"kind": "noether.core.trackers.TrackioTracker", "project": "noether-tests"}
    data["trainer"]["callbacks"] = [
        {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_epochs": 1},
    ]
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(dump_yaml(data), encoding="utf-8")
    env = {**cli_env, "TRACKIO_DIR": str(tmp_path / "trackio")}
    done = subprocess.run([*no_network_prefix(), sys.executable, "-m", "noether", "run", str(cfg)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run_dir = next((tmp_path / "out").iterdir())
    assert os.listdir(tmp_path / "trackio")

    read = subprocess.run([sys.executable, "-c", READ_BACK, "noether-tests"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert read.returncode == 0, read.stderr
    stored = json.loads(read.stdout.splitlines()[-1])
    name = f"toy_{run_dir.name}"
    assert stored["runs"] == [name]
    logs = stored["logs"][name]
    lines = metrics_lines(run_dir)
    by_step: dict[int, dict[str, float]] = {}
    for entry in logs:
        by_step.setdefault(entry["step"], {}).update(entry)
    for line in lines:  # every metric at its update number
        for key, value in line.items():
            assert by_step[line["update"]][key] == pytest.approx(value), (line["update"], key)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert by_step[lines[-1]["update"]]["loss/val/total/min"] == pytest.approx(summary["loss/val/total/min"])
    assert stored["config"][name]["hp"]["trainer"]["max_epochs"] == 2
