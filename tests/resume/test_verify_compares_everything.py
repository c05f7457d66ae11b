"""``verify-resume`` compares the whole metrics file, the summary, the ``best_model`` sets and the callback
states of ``last`` as well as the weights (issue 15), and lists the metric keys it compared."""

from __future__ import annotations

from pathlib import Path

from noether.training.verify import verify_resume
from tests.engine.helpers import build, toy_config


def test_verify_resume_compares_summary_best_model_and_callback_states(tmp_path: Path) -> None:
    metric = "loss/val/total"
    data = toy_config(tmp_path, callbacks=[
        {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_updates": 2},
        {"name": "BestCheckpointCallback", "metric_key": metric, "every_n_updates": 2},
        {"name": "EmaCallback", "target_factors": [0.9], "every_n_updates": 2},
    ])
    report = verify_resume(build(data), updates=8, interrupt_at=3)
    assert report.identical, report.text()
    compared = " | ".join(report.compared)
    assert "summary.json" in compared
    assert "best_model.loss.val.total" in compared
    assert "callback and log-writer states in mlp_cp=last_trainer.th" in compared
    assert "the whole metrics file" in compared and metric in compared


def test_verify_resume_kill_mode_sigkills_right_after_the_checkpoint(tmp_path: Path) -> None:
    data = toy_config(tmp_path, callbacks=[
        {"name": "CheckpointCallback", "every_n_updates": 100, "save_optim": True},  # replaced by verify's own
        {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_updates": 3},
        {"name": "BestCheckpointCallback", "metric_key": "loss/val/total", "every_n_updates": 3},
    ])
    report = verify_resume(build(data), updates=8, interrupt_at=3, kill=True)
    assert report.identical, report.text()
    assert (tmp_path / "verify-cut" / "checkpoints" / "latest.json").exists()
    assert "best_model.loss.val.total" in " | ".join(report.compared)
    assert not report.warnings


def test_verify_resume_warns_about_a_callback_that_never_fires(tmp_path: Path) -> None:
    data = toy_config(tmp_path, callbacks=[
        {"name": "OfflineLossCallback", "dataset_key": "val", "every_n_updates": 50}])
    report = verify_resume(build(data), updates=4, interrupt_at=2)
    assert report.identical and "never within --updates 4" in report.text()
