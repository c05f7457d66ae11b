"""Eval mode around callback firings: once per group, and only when a due callback runs the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from noether.core.callbacks import base
from noether.core.callbacks.checkpoint import BestCheckpointCallback, CheckpointCallback
from noether.core.callbacks.defaults import LrCallback, PeakMemoryCallback, ProgressCallback, TrainTimeCallback
from noether.core.callbacks.early_stop import FixedEarlyStopper, MetricEarlyStopper
from noether.core.callbacks.ema import EmaCallback
from noether.core.callbacks.losses import OfflineLossCallback, OnlineLossCallback
from noether.core.callbacks.metrics import BestMetricCallback, TrackAdditionalOutputsCallback
from noether.training.runner import run
from tests.engine import mode_probe
from tests.engine.helpers import build, toy_config

PROBE = "tests.engine.mode_probe."


def config(tmp_path: Path, callbacks: list[dict[str, Any]], defaults: bool = False) -> Any:
    data = toy_config(tmp_path, max_updates=6, add_default_callbacks=defaults, callbacks=callbacks)
    data["model"]["kind"] = PROBE + "ModeCountingMLP"
    return build(data, run_id="r")


def test_a_group_with_an_evaluating_callback_switches_once_and_training_resumes_in_train_mode(
    tmp_path: Path,
) -> None:
    mode_probe.clear()
    run(config(tmp_path, [
        {"kind": PROBE + "EvaluatingProbe", "id": "eval_a", "every_n_updates": 2},
        {"kind": PROBE + "QuietProbe", "id": "quiet", "every_n_updates": 2},
        {"kind": PROBE + "EvaluatingProbe", "id": "eval_b", "every_n_updates": 2},
    ]))
    # Firings after updates 2, 4 and 6: every probe of the group sees eval mode, the quiet one too (it runs
    # between the evaluating ones), and the mode is switched once per group, not per callback.
    assert mode_probe.seen == [(cb, u, False) for u in (2, 4, 6) for cb in ("eval_a", "quiet", "eval_b")]
    assert mode_probe.switches == [True] + [False, True] * 3
    assert mode_probe.steps == [True] * 6  # every training step after a firing is in train mode


def test_declared_non_evaluating_callbacks_see_no_switch(tmp_path: Path) -> None:
    mode_probe.clear()
    run(config(tmp_path, [{"kind": PROBE + "QuietProbe", "id": "quiet", "every_n_updates": 1},
                          {"name": "CheckpointCallback", "every_n_updates": 2}], defaults=True))
    assert mode_probe.seen == [("quiet", u, True) for u in range(1, 7)]
    assert mode_probe.switches == [True]  # only the switch to train mode before the first update
    assert mode_probe.steps == [True] * 6


def test_an_evaluating_callback_due_alone_still_switches(tmp_path: Path) -> None:
    mode_probe.clear()
    run(config(tmp_path, [{"kind": PROBE + "QuietProbe", "id": "quiet", "every_n_updates": 1},
                          {"kind": PROBE + "EvaluatingProbe", "id": "eval", "every_n_updates": 3}]))
    assert [seen for seen in mode_probe.seen if seen[0] == "eval"] == [("eval", 3, False), ("eval", 6, False)]
    assert [training for cb, u, training in mode_probe.seen if cb == "quiet"] == [True, True, False] * 2
    assert mode_probe.switches == [True] + [False, True] * 2


@pytest.mark.parametrize("cls", [ProgressCallback, TrainTimeCallback, PeakMemoryCallback, LrCallback,
                                 OnlineLossCallback, CheckpointCallback, BestCheckpointCallback, EmaCallback,
                                 MetricEarlyStopper, FixedEarlyStopper, BestMetricCallback,
                                 TrackAdditionalOutputsCallback])
def test_built_in_callbacks_that_do_not_run_the_model_declare_it(cls: type[base.PeriodicCallback]) -> None:
    assert cls.needs_eval_mode is False


def test_evaluating_and_third_party_callbacks_get_eval_mode_by_default() -> None:
    assert base.PeriodicCallback.needs_eval_mode is True
    assert OfflineLossCallback.needs_eval_mode is True
    assert mode_probe.EvaluatingProbe.needs_eval_mode is True


@pytest.mark.parametrize(("precision", "enabled"), [("bfloat16", True), ("float32", False)])
def test_the_forward_pass_runs_under_autocast_exactly_for_reduced_precision(
    tmp_path: Path, precision: str, enabled: bool
) -> None:
    mode_probe.clear()
    data = toy_config(tmp_path, max_updates=3, max_batch_size=8, precision=precision)
    data["model"]["kind"] = PROBE + "ModeCountingMLP"
    result = run(build(data, run_id="r"))
    assert result.update == 3
    assert mode_probe.autocast == [enabled] * 6  # two micro-steps per update
