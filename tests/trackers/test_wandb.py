"""The W&B tracker: offline runs leave readable files with the scalars; disabled mode; missing package."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from noether.core.schemas import WandBTrackerSchema
from noether.core.trackers.wandb import WandBTracker, lists_to_dicts, wandb_run_id
from tests.trackers.helpers import metrics_lines, no_network_prefix, read_wandb_run

HP: dict[str, Any] = {"stage_name": None, "trainer": {"max_epochs": 2, "callbacks": [{"name": "A"}]}}


@pytest.fixture
def wandb_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep W&B's settings, cache and artifacts out of the home directory."""
    home = tmp_path / "wandb_home"
    for var in ("WANDB_CONFIG_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_ARTIFACT_DIR"):
        monkeypatch.setenv(var, str(home / var.lower()))
    monkeypatch.delenv("WANDB_MODE", raising=False)
    return home


def _wandb_file(run_dir: Path) -> Path:
    files = sorted(run_dir.glob("wandb/offline-run-*/run-*.wandb"))
    assert len(files) == 1, files
    return files[0]


def test_offline_tracker_writes_scalars_config_and_summary(tmp_path: Path, wandb_home: Path) -> None:
    pytest.importorskip("wandb")
    config = WandBTrackerSchema(project="noether-tests", mode="offline")
    tracker = WandBTracker(config, run_dir=tmp_path, run_name="toy", run_id="2026-01-01_abcde", hp=HP)
    for update in (5, 10, 20):
        tracker.log({"epoch": update // 10, "update": update, "sample": update * 4,
                     "loss/train": 1.0 / update, "note": "text"}, step=update)
    tracker.set_summary({"loss/train/min": 0.05, "loss/train/last": 0.05})
    tracker.close()
    tracker.close()  # a second close is harmless

    # The mode was only set while wandb.init ran: a later run in this process is not silently offline.
    assert "WANDB_MODE" not in os.environ
    run = read_wandb_run(_wandb_file(tmp_path))
    assert run["run_id"] == "2026-01-01_abcde"
    steps = [row["_step"] for row in run["history"]]
    assert steps == [5, 10, 20]  # the update number is the step, not a count of log calls
    assert [row["loss/train"] for row in run["history"]] == pytest.approx([0.2, 0.1, 0.05])
    assert run["history"][0]["note"] == "text"
    assert run["config"]["run_name"] == "toy"
    # Lists become dicts keyed by position so that W&B can filter on them.
    assert run["config"]["hp"]["trainer"]["callbacks"] == {"0": {"name": "A"}}
    assert run["summary"]["loss/train/min"] == pytest.approx(0.05)


def test_disabled_mode_needs_no_package_and_accepts_a_summary(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)  # as if wandb were not installed
    tracker = WandBTracker(WandBTrackerSchema(mode="disabled"), run_dir=tmp_path, run_name="r", run_id="r",
                           hp=HP)
    tracker.log({"update": 1, "loss": 1.0}, step=1)
    tracker.set_summary({"loss/min": 1.0})  # upstream raises here (no run)
    tracker.close()
    assert tracker.summary == {"loss/min": 1.0}
    assert not (tmp_path / "wandb").exists()


def test_missing_package_names_the_pip_install_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(ImportError, match=r"pip install wandb"):
        WandBTracker(WandBTrackerSchema(mode="offline"), run_dir=tmp_path, run_name="r", run_id="r", hp=HP)


def test_online_failure_says_how_to_log_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def init(**_: Any) -> None:
        raise RuntimeError("api_key not configured (no-tty)")

    monkeypatch.setitem(sys.modules, "wandb", types.SimpleNamespace(init=init))
    with pytest.raises(RuntimeError, match=r"wandb login.*mode: offline"):
        WandBTracker(WandBTrackerSchema(mode="online"), run_dir=tmp_path, run_name="r", run_id="r", hp=HP)


def test_run_id_carries_the_stage_and_only_allowed_characters() -> None:
    assert wandb_run_id("2026-01-01_abcde", None) == "2026-01-01_abcde"
    assert wandb_run_id("2026-01-01_abcde", "fine tune/2") == "2026-01-01_abcde-fine-tune-2"
    assert lists_to_dicts({"a": [1, {"b": (2,)}]}) == {"a": {"0": 1, "1": {"b": {"0": 2}}}}


@pytest.mark.slow
def test_offline_run_from_the_cli_without_network(tmp_path: Path, wandb_home: Path,
                                                  cli_env: dict[str, str]) -> None:
    """``noether run`` with an offline W&B tracker, in a network namespace with no network where possible."""
    pytest.importorskip("wandb")
    from noether.core.config.dump import dump_yaml
    from tests.engine.helpers import toy_config

    data = toy_config(tmp_path / "out", max_epochs=2)
    data["tracker"] = {"kind": "noether.core.trackers.WandBTracker", "project": "noether-tests",
                       "mode": "offline"}
    data["trainer"]["callbacks"] = [
        {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_epochs": 1},
    ]
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(dump_yaml(data), encoding="utf-8")
    env = {**cli_env, **{k: v for k, v in os.environ.items() if k.startswith("WANDB_")}}
    done = subprocess.run([*no_network_prefix(), sys.executable, "-m", "noether", "run", str(cfg)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run_dir = next((tmp_path / "out").iterdir())
    expected = {line["update"]: line for line in metrics_lines(run_dir)}
    run = read_wandb_run(_wandb_file(run_dir))
    got = {row["_step"]: row for row in run["history"]}
    assert sorted(got) == sorted(expected)
    for update, line in expected.items():
        for key, value in line.items():
            if isinstance(value, float) and math.isfinite(value):
                assert got[update][key] == pytest.approx(value), (update, key)
    assert "loss/val/total" in got[max(got)]
    assert run["summary"]["loss/val/total/min"] == pytest.approx(
        min(line["loss/val/total"] for line in expected.values() if "loss/val/total" in line))
