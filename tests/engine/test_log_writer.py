"""The metrics file: one JSON line per flushed step, written when the writer syncs, nothing lost on close."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from noether.core.writers.log_writer import LogWriter


class Counter:
    """The counters a log writer stamps on each row."""

    epoch = 0
    update = 0
    sample = 0


class KeepingTracker:
    """A tracker that keeps what it is given and then changes it (as a careless one might)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def log(self, metrics: dict[str, Any], step: int) -> None:
        self.rows.append(dict(metrics))
        metrics["tracker/added"] = step


def test_rows_reach_the_file_at_sync_and_close_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    counter, tracker = Counter(), KeepingTracker()
    writer = LogWriter(path, tracker, counter)
    expected = []
    for update in range(1, 4):
        counter.update = update
        writer.add_scalar("loss/online/total/U1", 0.1 * update)
        writer.add_scalar("odd/U1", math.nan if update == 2 else update)
        expected.append({"epoch": 0, "update": update, "sample": 0, "loss/online/total/U1": 0.1 * update,
                         "odd/U1": math.nan if update == 2 else update})
        writer.flush()
        if update == 2:
            writer.sync()  # what the trainer does before a checkpoint
            assert len(path.read_text().splitlines()) == 2
    writer.flush()  # nothing logged: no row
    writer.close()
    lines = path.read_text().splitlines()
    assert lines == [json.dumps(row, allow_nan=True) for row in expected]
    assert [row["update"] for row in tracker.rows] == [1, 2, 3]
    assert "tracker/added" not in lines[0]  # the tracker's change of its copy does not reach the file
    assert writer.summary["loss/online/total/U1"]["min"] == 0.1


def test_a_value_json_cannot_encode_is_refused_where_it_is_logged(tmp_path: Path) -> None:
    writer = LogWriter(tmp_path / "metrics.jsonl", None, Counter())
    writer.add_scalar("loss", torch.tensor(0.5))  # one-element tensors and numpy scalars are numbers
    writer.add_scalar("lr", np.float32(0.25))
    with pytest.raises(TypeError, match=r"metric 'bad' at update 0: expected a number .* got list"):
        writer.add_scalar("bad", [1, 2])
    writer.close()
    (row,) = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert row["loss"] == 0.5 and row["lr"] == 0.25 and "bad" not in row
