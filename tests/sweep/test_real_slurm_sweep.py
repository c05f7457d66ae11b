"""Against a real SLURM (``scripts/start-slurm.sh``, as CI runs it): ``noether sweep --slurm`` submits one job
array whose tasks train one point each and leave their ``done`` markers; ``noether compare`` then ranks them."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.slurm.test_real_slurm import _REASON, _job_env
from tests.sweep.test_sweep import ROOT, TOY

pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")

_FINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"}


def _wait_array(job_id: str, timeout: float = 600) -> list[str]:
    """The final states of every task of array job ``job_id``."""
    deadline = time.monotonic() + timeout
    while True:
        out = subprocess.run(["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True).stdout
        states = re.findall(r"\bJobState=(\S+)", out)
        if states and all(state in _FINAL for state in states):
            return states
        assert time.monotonic() < deadline, f"array job {job_id} still {states} after {timeout} s"
        time.sleep(1)


def test_sweep_as_a_real_job_array(tmp_path: Path) -> None:
    config = tmp_path / "toy.yaml"
    config.write_text(TOY.format(out=tmp_path / "out")
                      + "slurm: {job_name: noether-sweep, ntasks: 1, cpus_per_task: 1, time: '15'}\n")
    sweep_dir = tmp_path / "sweep"
    words = [sys.executable, "-m", "noether", "sweep", str(config), "datasets.train.size=16,24",
             "--slurm", "--sweep-dir", str(sweep_dir)]
    submitted = subprocess.run(words, capture_output=True, text=True, cwd=ROOT, env=_job_env(), timeout=120)
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.strip().splitlines()[-1]
    states = _wait_array(job_id)
    logs = "\n".join(p.read_text() for p in sorted((sweep_dir / "slurm").glob("*.out")))
    assert states and set(states) == {"COMPLETED"}, logs
    assert sorted(p.name for p in (sweep_dir / "done").iterdir()) == ["p000", "p001"], logs
    table = subprocess.run([sys.executable, "-m", "noether", "compare", str(sweep_dir)], capture_output=True,
                           text=True, cwd=ROOT, timeout=60)
    assert table.returncode == 0 and table.stdout.count(" done ") == 2, table.stdout + table.stderr
