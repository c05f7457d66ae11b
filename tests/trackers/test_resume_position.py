"""After an in-place resume, the tracker is told where the run continues: an appending tracker keeps every
update once (the steps logged after the checkpoint by the interrupted run are not duplicated)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Literal

import attrs

from noether.core.schemas._base import Schema
from noether.core.trackers.base import Tracker
from noether.training.runner import run
from tests.engine.helpers import build, toy_config


@attrs.frozen(kw_only=True)
class CsvTrackerConfig(Schema):
    kind: Literal["tmp.CsvTracker"] = "tmp.CsvTracker"


class CsvTracker(Tracker):
    """Appends ``update,loss`` rows to ``<run_dir>/tracker.csv``; on resume it drops the rows after the checkpoint."""

    def _path(self) -> Path:
        return Path(self.run_dir) / "tracker.csv"

    def resumed_at(self, update: int) -> None:
        super().resumed_at(update)
        with self._path().open(encoding="utf-8") as fh:
            kept = [row for row in csv.reader(fh) if int(row[0]) <= update]
        with self._path().open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(kept)

    def log(self, metrics: dict[str, Any], step: int) -> None:
        with self._path().open("a", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerow([step, metrics.get("loss/online/total/U1", "")])


def test_tracker_drops_the_steps_a_resumed_run_logs_again(tmp_path: Path, noether_register: Any) -> None:
    noether_register("tracker", "tmp.CsvTracker", config=CsvTrackerConfig,
                     component="tests.trackers.test_resume_position:CsvTracker")
    data = toy_config(tmp_path, max_updates=8, log_every_n_updates=1, callbacks=[
        {"name": "CheckpointCallback", "every_n_updates": 2, "save_optim": True}])
    data["tracker"] = {"kind": "tmp.CsvTracker"}
    first = run(build(data, run_id="r"), interrupt_at_update=5)  # rows 1..5 logged, checkpoint U4 exists
    assert first.interrupted
    resumed = run(build(data, run_id="r", resume_run_id="r", resume_checkpoint="U2"))
    rows = list(csv.reader((resumed.run_dir / "tracker.csv").open(encoding="utf-8")))
    assert [int(r[0]) for r in rows] == list(range(1, 9))
    lines = [json.loads(line) for line in (resumed.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [line["update"] for line in lines] == list(range(1, 9))
    assert [float(r[1]) for r in rows] == [line["loss/online/total/U1"] for line in lines]
