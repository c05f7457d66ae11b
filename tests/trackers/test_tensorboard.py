"""The TensorBoard tracker: real event files, read back with TensorBoard's own reader."""

from __future__ import annotations

import logging
import math
import sys
from pathlib import Path
from typing import Any

import pytest

from noether.core.schemas import TensorboardTrackerSchema
from tests.trackers.helpers import metrics_lines

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from noether.core.trackers.tensorboard import TensorboardTracker


def _load(log_dir: Path) -> EventAccumulator:
    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    return acc


def _scalars(acc: EventAccumulator, tag: str) -> dict[int, float]:
    return {event.step: event.value for event in acc.Scalars(tag)}


def _text(acc: EventAccumulator, tag: str) -> str:
    events = acc.Tensors(tag)
    return "\n".join(b.decode() for e in events for b in e.tensor_proto.string_val)


def test_scalars_use_the_update_as_step(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    hp: dict[str, Any] = {"trainer": {"max_epochs": 3}, "stage_name": None}
    config = TensorboardTrackerSchema(log_dir="tb", flush_secs=1)
    tracker = TensorboardTracker(config, run_dir=tmp_path, run_name="toy", run_id="2026-01-01_abcde", hp=hp)
    with caplog.at_level(logging.WARNING, logger="noether"):
        for update in (4, 8, 16):
            tracker.log({"epoch": update // 4, "update": update, "sample": 8 * update,
                         "loss/train": 1.0 / update, "flag": True, "note": f"at {update}", "odd": [1, 2]},
                        step=update)
    tracker.set_summary({"loss/train/min": 1 / 16, "best": "E4"})
    tracker.close()
    tracker.close()

    acc = _load(tmp_path / "tb")
    # Steps are update numbers (4, 8, 16), not 0, 1, 2 as with upstream's internal counter.
    assert _scalars(acc, "loss/train") == pytest.approx({4: 0.25, 8: 0.125, 16: 0.0625})
    assert _scalars(acc, "epoch") == {4: 1.0, 8: 2.0, 16: 4.0}
    assert _scalars(acc, "flag") == {4: 1.0, 8: 1.0, 16: 1.0}
    assert "update" not in acc.Tags()["scalars"]  # it is the step already
    assert _scalars(acc, "summary/loss/train/min") == pytest.approx({16: 1 / 16})
    assert "at 8" in _text(acc, "note/text_summary")
    assert "max_epochs: 3" in _text(acc, "Configuration/text_summary")
    summary_text = _text(acc, "Summary Metrics/text_summary")
    assert "loss/train/min" in summary_text and "E4" in summary_text
    # A value that is neither number nor string is skipped with one warning, not once per step.
    assert sum("'odd'" in r.getMessage() for r in caplog.records) == 1


def test_missing_tensorboard_names_the_pip_install_line(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ImportError, match=r"pip install tensorboard"):
        TensorboardTracker(TensorboardTrackerSchema(), run_dir=tmp_path, run_name="r", run_id="r", hp={})


@pytest.mark.slow
def test_training_run_writes_event_files_matching_metrics_jsonl(tmp_path: Path) -> None:
    import noether
    from tests.engine.helpers import build, toy_config

    data = toy_config(tmp_path, max_epochs=2)
    data["trainer"]["callbacks"] = [
        {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_epochs": 1},
    ]
    config = build(data, tracker={"kind": "noether.core.trackers.TensorboardTracker", "flush_secs": 1})
    result = noether.run(config)

    acc = _load(result.run_dir / "runs")
    lines = metrics_lines(result.run_dir)
    keys = {key for line in lines for key in line} - {"update"}
    assert {"loss/val/total", "epoch"} <= keys
    for key in keys:  # every logged metric, at every update it was logged at
        expected = {line["update"]: line[key] for line in lines if key in line}
        assert _scalars(acc, key) == pytest.approx(expected), key
    best = min(v for line in lines for k, v in line.items() if k == "loss/val/total")
    summary = _scalars(acc, "summary/loss/val/total/min")
    assert list(summary.values()) == pytest.approx([best])
    assert not any(math.isnan(v) for v in summary.values())


def test_in_place_resume_purges_the_steps_logged_after_the_checkpoint(tmp_path: Path) -> None:
    config = TensorboardTrackerSchema(log_dir="tb", flush_secs=1)
    hp: dict[str, Any] = {"stage_name": None}
    first = TensorboardTracker(config, run_dir=tmp_path, run_name="toy", run_id="r", hp=hp)
    for update in range(1, 7):  # killed after update 6, the checkpoint was written after update 3
        first.log({"update": update, "loss": float(update)}, step=update)
    first.close()
    second = TensorboardTracker(config, run_dir=tmp_path, run_name="toy", run_id="r", hp=hp)
    second.resumed_at(3)
    for update in range(4, 9):
        second.log({"update": update, "loss": 10.0 * update}, step=update)
    second.close()
    events = _load(tmp_path / "tb").Scalars("loss")
    steps = [e.step for e in events]
    assert steps == sorted(set(steps)) == list(range(1, 9))  # every step once
    assert {e.step: e.value for e in events}[5] == 50.0  # the re-run's value, not the interrupted run's
