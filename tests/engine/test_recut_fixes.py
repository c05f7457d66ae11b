"""Regression tests of the engine re-cut: deprecated callback API, run-directory fixes, devices, messages."""

from __future__ import annotations

import io
import json
import logging
import os
import shlex
import sys
import warnings
from pathlib import Path

import pytest

from noether.cli.commands.run import continue_command
from noether.cli.main import main
from noether.core.config.dump import dump_yaml
from noether.core.errors import ConfigError
from noether.training.devices import _pick, choose_device
from noether.training.runner import run
from tests.engine.helpers import build, toy_config


def test_callback_written_against_self_trainer_still_runs_with_a_deprecation_warning(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_updates=4, callbacks=[
        {"kind": "tests.engine.counting.LegacyTrainerCallback", "every_n_updates": 2}])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(build(data, run_id="legacy"))
    deprecations = [w for w in caught
                    if issubclass(w.category, DeprecationWarning) and "self.trainer" in str(w.message)]
    assert deprecations, [str(w.message) for w in caught]
    assert result.summary["legacy/datasets"] == 2
    rows = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["update"] for r in rows if "legacy/val_loss" in r] == [2, 4]
    # Written at updates 2 and 4: the second write is version 2 of the tag (issue 15, item 1).
    from noether.core.writers.checkpoints import CheckpointStore

    assert CheckpointStore(result.run_dir / "checkpoints").resolve("legacy") == "legacy@v2"


def test_weights_only_checkpoints_leave_no_latest_backing_set_at_the_end(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_updates=6, callbacks=[{"name": "CheckpointCallback", "every_n_updates": 2}])
    result = run(build(data, run_id="eph"))
    ckpt = result.run_dir / "checkpoints"
    assert not list(ckpt.glob("*.latest.manifest.json"))
    assert json.loads((ckpt / "latest.json").read_text())["tag"] == "last"
    assert (ckpt / "E1_U6_S96.manifest.json").exists()


def test_ancestor_link_resolves_with_a_relative_output_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = toy_config(Path("out"), max_updates=4, callbacks=[
        {"name": "CheckpointCallback", "every_n_updates": 2, "save_optim": True}])
    first = run(build(data, run_id="parent"))
    run(build(data, run_id="child", resume_run_id="parent", resume_checkpoint="last"))
    monkeypatch.chdir("/")
    link = tmp_path / "out" / "child" / "ancestor"
    assert link.is_symlink() and not os.path.isabs(os.readlink(link))
    assert link.resolve() == (tmp_path / first.run_dir).resolve()
    assert (link / "checkpoints" / "latest.json").exists()


def test_devices_on_a_cpu_run_are_rejected_with_what_to_use() -> None:
    with pytest.raises(ConfigError) as info:
        choose_device("cpu", devices="0")
    (issue,) = info.value.issues
    assert issue.dotted_path == "devices" and "accelerator: gpu" in issue.message


def test_devices_select_one_gpu_per_process_or_say_how_to_start_them() -> None:
    assert _pick("2,3", local_rank=1, local_world_size=2, visible=4) == 3
    assert _pick("1", local_rank=0, local_world_size=1, visible=2) == 1
    with pytest.raises(ConfigError, match="torchrun --nproc-per-node 2"):
        _pick("0,1", local_rank=0, local_world_size=1, visible=2)
    with pytest.raises(ConfigError, match="only 2 GPU"):
        _pick("5", local_rank=0, local_world_size=1, visible=2)


def test_continue_command_replaces_run_keys() -> None:
    command = continue_command("my cfg.yaml", ["trainer.max_updates=8", "run_id=old", "resume_run_id=x"], "r1", "s")
    assert shlex.split(command) == ["noether", "run", "my cfg.yaml", "trainer.max_updates=8", "run_id=r1",
                                    "resume_run_id=r1", "resume_stage_name=s"]


def test_interruption_prints_the_command_that_continues_in_place(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = toy_config(tmp_path / "out", max_updates=6, callbacks=[
        {"kind": "tests.engine.counting.SigtermAtUpdate", "every_n_updates": 1}])
    data["run_id"] = "sig"
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(dump_yaml(data), encoding="utf-8")
    assert main(["run", str(cfg)]) == 75
    err = capsys.readouterr().err
    command = err.split("continue this run in place with:\n", 1)[1].strip()
    argv = shlex.split(command)
    assert argv[:3] == ["noether", "run", str(cfg)]
    # The callback would stop it again at update 3; drop it with an override, as a user could.
    assert main([*argv[1:], "trainer.callbacks=[]"]) == 0
    rows = [json.loads(line) for line in (tmp_path / "out" / "sig" / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["update"] == 6 and len({r["update"] for r in rows}) == len(rows)


class _Terminal(io.StringIO):
    """Stands in for a terminal on stderr (a test has none): the progress bar is drawn into it."""

    def isatty(self) -> bool:
        return True


def test_log_lines_go_above_the_progress_bar_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.engine import counting

    counting.HANDLERS.clear()
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    data = toy_config(tmp_path, max_updates=4, callbacks=[
        {"kind": "tests.engine.counting.HandlerProbe", "every_n_updates": 2}])
    run(build(data, run_id="tty"))
    assert all("_TqdmLoggingHandler" in names for names in counting.HANDLERS) and counting.HANDLERS
    after = [type(h).__name__ for h in logging.getLogger("noether").handlers]
    assert "_TqdmLoggingHandler" not in after and "StreamHandler" in after
    assert "4/4" in terminal.getvalue()  # the bar itself was drawn on the terminal
