"""The prepared GPU check (``benchmarks/gpu_check.sh``) runs, small, on this CPU.

A session lent a GPU machine has minutes of device time for it; a script broken by a change to the engine
would spend them on a traceback. ``SMOKE=1`` runs the same three steps on a CPU at toy sizes (the trainer
against a raw bf16 loop with host reads counted; DDP and FSDP under torchrun with gloo, a SIGTERM and the
resume; every CFD model eager): each must finish, the distributed one bit-identical in all four cases. The
figures themselves mean nothing at this size.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_prepared_gpu_check_runs_small_on_a_cpu(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # The script calls python3: the interpreter running the tests must be the one it finds.
    env = {**os.environ, "SMOKE": "1", "OUT": str(out),
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    steps = {name: (out / f"{name}.txt").read_text() for name in ("gpu_trainer", "gpu_distributed", "cfd_gpu")}
    for name, text in steps.items():
        assert f"== {name}: exit 0" in text, text[-3000:]
    assert "noether (defaults) / raw bf16 loop" in steps["gpu_trainer"]
    assert "syncs per update" in steps["gpu_trainer"]
    assert steps["gpu_distributed"].count("IDENTICAL:") == 4, steps["gpu_distributed"]
    for model in ("AbUpt", "Upt", "Transolver", "TransolverPlusPlus", "RopeTransformer"):
        assert f"\n{model} " in steps["cfd_gpu"], steps["cfd_gpu"]
