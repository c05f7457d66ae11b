"""Callbacks fire after exactly the updates their intervals name, also when the trainer skips the due checks
between two firings (``CallbackSet.due``'s quiet window): several intervals at once, an interval changed or
removed while firing, sample intervals and a callback with its own due check, and across a resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from noether.training.runner import run
from tests.engine import counting
from tests.engine.helpers import build, toy_config

# 64 samples, effective batch 16: 4 updates per epoch; 30 updates.
UPDATES = 30


def _fired(tmp_path: Path, callbacks: list[dict[str, Any]], **trainer: Any) -> dict[str, list[int]]:
    counting.FIRED.clear()
    run(build(toy_config(tmp_path, max_updates=UPDATES, callbacks=callbacks, **trainer)))
    fired: dict[str, list[int]] = {}
    for key, _unit, _epoch, update, _sample in counting.FIRED:
        fired.setdefault(key, []).append(update)
    return fired


def _counter(key: str, **interval: int) -> dict[str, Any]:
    return {"kind": "tests.engine.counting.CountingCallback", "id": key, **interval}


def test_coprime_intervals_fire_at_each_of_their_multiples(tmp_path: Path) -> None:
    fired = _fired(tmp_path, [_counter("a", every_n_updates=3), _counter("b", every_n_updates=5),
                              _counter("c", every_n_updates=7), _counter("d", every_n_updates=1)])
    assert fired == {key: [u for u in range(1, UPDATES + 1) if u % n == 0]
                     for key, n in {"a": 3, "b": 5, "c": 7, "d": 1}.items()}


def test_an_interval_changed_while_firing_takes_effect_at_once(tmp_path: Path) -> None:
    fired = _fired(tmp_path, [{"kind": "tests.engine.counting.IntervalChanger", "id": "x", "every_n_updates": 10},
                              _counter("slow", every_n_updates=25)])
    # First firing at 10, then every 3: 12, 15, ... (the slow callback's next firing at 25 must not hide them).
    assert fired["x"] == [10, *[u for u in range(11, UPDATES + 1) if u % 3 == 0]]
    assert fired["slow"] == [25]


def test_an_interval_removed_while_firing_ends_the_firings(tmp_path: Path) -> None:
    fired = _fired(tmp_path, [{"kind": "tests.engine.counting.StopsFiring", "id": "x", "every_n_updates": 4},
                              _counter("y", every_n_updates=5)])
    assert fired["x"] == [4, 8]
    assert fired["y"] == [5, 10, 15, 20, 25, 30]


def test_sample_intervals_and_own_due_checks_next_to_update_intervals(tmp_path: Path) -> None:
    fired = _fired(tmp_path, [_counter("u", every_n_updates=8), _counter("s", every_n_samples=100, batch_size=8),
                              {"kind": "tests.engine.counting.SquareUpdates", "id": "sq", "every_n_updates": 1000}])
    assert fired["u"] == [8, 16, 24]
    # 16 samples per update: sample 100 is crossed by update 7 (112), 200 by 13, 300 by 19, 400 by 25.
    assert fired["s"] == [7, 13, 19, 25]
    assert fired["sq"] == [1, 4, 9, 16, 25]


def test_a_resumed_run_fires_where_the_uninterrupted_one_does(tmp_path: Path) -> None:
    callbacks = [_counter("a", every_n_updates=4), _counter("b", every_n_updates=7)]
    whole = _fired(tmp_path / "whole", callbacks)
    counting.FIRED.clear()
    data = toy_config(tmp_path / "parts", max_updates=UPDATES, callbacks=callbacks)
    run(build(data, run_id="r"), interrupt_at_update=9)
    first = [f[3] for f in counting.FIRED if f[0] == "a"]
    run(build(data, run_id="r", resume_run_id="r"))
    assert first == [4, 8]
    assert [f[3] for f in counting.FIRED if f[0] == "a"] == whole["a"]
    assert [f[3] for f in counting.FIRED if f[0] == "b"] == whole["b"]

