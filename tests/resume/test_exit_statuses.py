"""Exit statuses and a consistent run directory for a SIGTERM at every stage of a single-process run
(issue 15, item 8): during start-up, during the last update, after it, and during the final background write.

Each case is a real ``noether run`` in a child process; the child sends itself SIGTERM at the stage under test by
wrapping one engine function (the only patching: it chooses the moment, the signal and the handling are real).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from noether.core.config.dump import dump_yaml
from noether.core.exit_codes import EXIT_INTERRUPTED
from noether.core.writers.checkpoints import CheckpointStore
from tests.engine.helpers import toy_config

ROOT = Path(__file__).resolve().parents[2]

#: ``(module, function)`` wrapped so that the child SIGTERMs itself when it is called.
STAGES = {
    "start-up": ("noether.data.dataset", "build_dataset", "before"),
    "last-update": ("noether.core.callbacks.checkpoint", "CheckpointCallback.periodic_callback", "before"),
    "after-last-update": ("noether.core.callbacks.checkpoint", "CheckpointCallback.after_training", "before"),
    "final-write": ("noether.core.writers.checkpoints", "CheckpointStore.close", "before"),
}

CHILD = """
import importlib, os, signal, sys
module_name, path, _ = sys.argv[2], sys.argv[3], sys.argv[4]
module = importlib.import_module(module_name)
owner, _, name = path.rpartition(".")
holder = getattr(module, owner) if owner else module
original = getattr(holder, name)
fired = []
def wrapped(*args, **kwargs):
    if not fired:
        fired.append(1)
        os.kill(os.getpid(), signal.SIGTERM)
    return original(*args, **kwargs)
setattr(holder, name, wrapped)
from noether.cli.main import main
sys.exit(main(["run", sys.argv[1]]))
"""


def _run(tmp_path: Path, stage: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    data = toy_config(tmp_path, max_updates=4, callbacks=[
        {"name": "CheckpointCallback", "every_n_updates": 4, "save_optim": True}])
    data["run_id"] = "sig"
    config = tmp_path / "cfg.yaml"
    config.write_text(dump_yaml(data))
    module, function, _ = STAGES[stage]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(config), module, function, "before"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    return done, tmp_path / "sig" / "checkpoints"


def test_sigterm_during_start_up_stops_before_the_first_update_resumable(tmp_path: Path) -> None:
    done, ckpt = _run(tmp_path, "start-up")
    assert done.returncode == EXIT_INTERRUPTED, done.stderr[-2000:]
    store = CheckpointStore(ckpt)
    assert store.resolve("latest").endswith(".signal_interrupt")
    assert store.read_manifest(store.resolve("latest"))["training_iteration"]["update"] == 0
    store.load_set(store.resolve("latest"))
    assert "continue this run in place" in done.stderr
    # What a launcher that turns status 75 into 1 (torchrun) leaves for the script to read:
    marker = json.loads((ckpt.parent / "interrupted.json").read_text())
    assert marker == {"exit_status": EXIT_INTERRUPTED, "checkpoint": store.resolve("latest")}


@pytest.mark.parametrize("stage", ["last-update", "after-last-update", "final-write"])
def test_sigterm_at_the_end_lets_the_run_complete_with_a_last_set(tmp_path: Path, stage: str) -> None:
    done, ckpt = _run(tmp_path, stage)
    assert done.returncode == 0, done.stderr[-2000:]
    store = CheckpointStore(ckpt)
    assert store.resolve("latest") == "last"
    manifest, _ = store.load_set("last")
    assert manifest["training_iteration"]["update"] == 4
    assert not [m for m in store.manifests() if m["tag"].endswith(".signal_interrupt")]
    rows = [json.loads(line) for line in (ckpt.parent / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["update"] == 4
    assert json.loads((ckpt.parent / "summary.json").read_text())
    assert "a stop signal arrived after the last update" in (ckpt.parent / "log.txt").read_text()  # it fired
    assert not (ckpt.parent / "interrupted.json").exists()
