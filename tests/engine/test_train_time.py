"""The default timing callback logs, per log interval, the mean and the maximum of each timer the trainer
measured in that interval's updates (``train_time/<timer>/mean|max/U<n>``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from noether.core.callbacks.defaults import TrainTimeCallback
from noether.training.runner import run
from tests.engine import counting
from tests.engine.helpers import build, toy_config


def _rows(tmp_path: Path, updates: int, log_every: int) -> list[dict[str, float]]:
    counting.TIMES.clear()
    data = toy_config(tmp_path, max_updates=updates, log_every_n_updates=log_every, callbacks=[
        {"kind": "tests.engine.counting.TimesProbe", "every_n_updates": 10**6}])
    result = run(build(data))
    lines = (result.run_dir / "metrics.jsonl").read_text().splitlines()
    return [row for row in map(json.loads, lines) if any(k.startswith("train_time/") for k in row)]


def _expected(first: int, last: int) -> dict[str, float]:
    window = [times for update, times in counting.TIMES if first <= update < last]
    out: dict[str, float] = {}
    for key in window[0]:
        total = 0.0
        for times in window:
            total += times[key]
        out[f"train_time/{key}/mean/U5"] = total / len(window)
        out[f"train_time/{key}/max/U5"] = max(times[key] for times in window)
    return out


def test_means_and_maxima_of_each_interval(tmp_path: Path) -> None:
    rows = _rows(tmp_path, 15, 5)
    assert [row["update"] for row in rows] == [5, 10, 15]
    # The probe sees the counter before the update is counted: update u-1 for the u-th update.
    for row in rows:
        logged = {k: v for k, v in row.items() if k.startswith("train_time/")}
        assert logged == _expected(row["update"] - 5, row["update"])
        assert set(logged) == {f"train_time/{t}/{s}/U5" for t in ("data_wait", "forward", "backward", "update")
                               for s in ("mean", "max")}


def test_long_intervals_hold_few_updates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TrainTimeCallback, "FOLD_EVERY", 3)
    rows = _rows(tmp_path, 10, 5)
    for row in rows:
        logged = {k: v for k, v in row.items() if k.startswith("train_time/")}
        assert logged == _expected(row["update"] - 5, row["update"])
