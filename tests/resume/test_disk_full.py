"""A full disk during a checkpoint write (issue 15, item 5): the error says what happened and how much space
the set needs, and once space is freed the run resumes in place from the previous checkpoint, with no manual step.

The disk is a real tmpfs mounted by the test (needs root and mount rights; skipped with the reason otherwise).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from noether.core.writers.checkpoints import CheckpointStore
from noether.training.runner import run
from tests.engine.helpers import build, toy_config


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (id -u is not 0)")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_disk_full_during_a_checkpoint_then_in_place_resume_after_freeing_space(small_disk: Path) -> None:
    data = toy_config(small_disk, max_updates=8, callbacks=[
        {"name": "CheckpointCallback", "every_n_updates": 2, "save_optim": True}])
    first = run(build(data, run_id="full"), interrupt_at_update=4)
    assert first.interrupted
    ckpt = first.run_dir / "checkpoints"
    store = CheckpointStore(ckpt)
    latest = store.resolve("latest")
    set_size = sum(meta["size"] for meta in store.read_manifest(latest)["files"].values())
    # Leave room for the config, log and metrics lines, not for a checkpoint set.
    filler = small_disk / "filler"
    free = shutil.disk_usage(small_disk).free
    filler.write_bytes(b"\0" * max(0, free - set_size // 2))

    with pytest.raises(OSError) as failed:
        run(build(data, run_id="full", resume_run_id="full"))
    message = str(failed.value)
    assert "the disk is full" in message and "MB in" in message and f"'{latest}' is intact" in message, message
    assert not [p.name for p in ckpt.iterdir() if p.name.endswith(".tmp")]  # the partial copy is gone

    filler.unlink()  # space freed: the same command resumes, nothing fixed by hand
    resumed = run(build(data, run_id="full", resume_run_id="full"))
    assert resumed.update == 8 and not resumed.interrupted
    rows = [json.loads(line)["update"] for line in (first.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert rows == sorted(set(rows)) and rows[-1] == 8
    assert CheckpointStore(ckpt).resolve("latest") == "last"
