"""A run directory damaged by a crash or a full disk still resumes in place, with a warning naming the file
(issue 15, items 5 and 6): a missing or damaged ``latest.json``, a damaged manifest, a partial metrics line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from noether.training.runner import run
from tests.engine.helpers import build, toy_config


def _interrupted(tmp_path: Path) -> tuple[dict, Path]:
    data = toy_config(tmp_path, max_updates=6, callbacks=[
        {"name": "CheckpointCallback", "every_n_updates": 2, "save_optim": True}])
    first = run(build(data, run_id="d"), interrupt_at_update=5)
    assert first.interrupted
    return data, first.run_dir


def _resume(data: dict, run_dir: Path) -> str:
    result = run(build(data, run_id="d", resume_run_id="d"))
    assert result.update == 6 and not result.interrupted
    return (run_dir / "log.txt").read_text()


def _delete(path: Path) -> None:
    path.unlink()


def _garble(path: Path) -> None:
    path.write_text('{"tag": ')


@pytest.mark.parametrize(("damage", "problem"), [(_delete, "is missing"), (_garble, "is damaged")])
def test_missing_or_damaged_latest_pointer_falls_back_to_the_newest_set(
        tmp_path: Path, damage: Callable[[Path], None], problem: str) -> None:
    data, run_dir = _interrupted(tmp_path)
    damage(run_dir / "checkpoints" / "latest.json")
    log = _resume(data, run_dir)
    assert f"latest.json {problem}; using the newest complete resumable set 'E1_U5_S80.signal_interrupt'" in log


def test_damaged_manifest_is_skipped_with_a_warning(tmp_path: Path) -> None:
    data, run_dir = _interrupted(tmp_path)
    manifest = run_dir / "checkpoints" / "E1_U5_S80.signal_interrupt.manifest.json"
    content = json.loads(manifest.read_text())
    del content["files"]
    manifest.write_text(json.dumps(content))
    log = _resume(data, run_dir)
    assert f"checkpoint manifest {manifest} is damaged" in log
    assert "using the newest complete resumable set 'E1_U4_S64'" in log


def test_partial_last_metrics_line_is_dropped_with_a_warning(tmp_path: Path) -> None:
    data, run_dir = _interrupted(tmp_path)
    metrics = run_dir / "metrics.jsonl"
    with metrics.open("a", encoding="utf-8") as fh:
        fh.write('{"epoch": 1, "update": 6, "loss/onl')  # the disk filled up mid-line
    log = _resume(data, run_dir)
    assert f"{metrics}: the last line is incomplete" in log
    rows = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert [r["update"] for r in rows][-1] == 6


def test_damaged_metrics_line_before_the_last_names_file_and_line(tmp_path: Path) -> None:
    data, run_dir = _interrupted(tmp_path)
    metrics = run_dir / "metrics.jsonl"
    lines = metrics.read_text().splitlines()
    lines[1] = "not json"
    metrics.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"metrics.jsonl:2: not a JSON metrics row"):
        run(build(data, run_id="d", resume_run_id="d"))


def test_leftovers_of_dead_writers_are_removed_on_start(tmp_path: Path) -> None:
    data, run_dir = _interrupted(tmp_path)
    ckpt = run_dir / "checkpoints"
    leftovers = [ckpt / ".mlp_cp=E1_U6_S96_model.th.4242.tmp", ckpt / ".mlp_cp=latest_model.th.4242.lnk",
                 ckpt / "mlp_cp=E0_U3_S48_model.th"]  # a set killed before its manifest
    for path in leftovers:
        path.write_bytes(b"partial")
    log = _resume(data, run_dir)
    assert not any(path.exists() for path in leftovers)
    assert "removed 3 file(s)" in log
    assert (ckpt / "mlp_cp=E1_U4_S64_model.th").exists() and (ckpt / "mlp_cp=latest_model.th").exists()
