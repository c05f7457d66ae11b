"""Against a real SLURM (``scripts/start-slurm.sh``): a submitted job runs to completion, and a job that gets
the preemption signal checkpoints, requeues itself, resumes and ends with the same weights as an uninterrupted
one. Both jobs train with two tasks (``srun`` -> torch.distributed, gloo)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.distributed.helpers import (
    REPO,
    assert_nested_equal,
    child_env,
    config,
    metrics,
    optim_state,
    run_dirs,
    weights,
)


def _cluster_up() -> str | None:
    if shutil.which("sbatch") is None:
        return "sbatch is not on PATH: no SLURM here (scripts/start-slurm.sh starts a one-node cluster)"
    try:
        done = subprocess.run(["sinfo", "-h", "-o", "%a %t"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"sinfo failed: {exc}"
    if done.returncode != 0 or not re.search(r"\bup\b", done.stdout):
        return f"no SLURM partition is up: {done.stdout.strip() or done.stderr.strip()}"
    return None


_REASON = _cluster_up()
pytestmark = [pytest.mark.slurm, pytest.mark.skipif(_REASON is not None, reason=_REASON or "")]


def _job_env() -> dict[str, str]:
    env = child_env()
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _submit(tmp_path: Path, name: str, **changes: object) -> tuple[str, Path]:
    data = config(tmp_path / name, dropout=0.2, **changes)  # type: ignore[arg-type]
    data["slurm"] = {"job_name": f"noether-{name}", "ntasks": min(2, os.cpu_count() or 1), "cpus_per_task": 1,
                     "time": "15"}
    cfg = tmp_path / f"{name}.yaml"
    cfg.write_text(json.dumps(data))
    done = subprocess.run([sys.executable, "-m", "noether", "submit", str(cfg)], cwd=REPO, env=_job_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip(), tmp_path / name


#: How long a requeued job waits before the test lets it start. slurmd revokes the credential of the killed
#: attempt with a timestamp in whole seconds and refuses a credential issued in that same second ("Killing
#: non-startable batch JobId=N: Job credential revoked", the job ends FAILED): SLURM's own requeue delay exists
#: for this, and a test that shortens it must still let the clock pass the next second.
_REQUEUE_SETTLE_S = 2.0


def _wait(job_id: str, timeout: float = 600) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    requeued_at: float | None = None
    while True:
        out = subprocess.run(["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True).stdout
        fields = dict(re.findall(r"(\w+)=(\S*)", out))
        state = fields.get("JobState", "")
        if state in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"):
            return fields
        if state == "PENDING" and fields.get("Reason") == "BeginTime" and fields.get("Restarts", "0") != "0":
            # A requeued job becomes eligible only after a delay; start it sooner, but not in the second
            # its previous attempt was killed in.
            requeued_at = time.monotonic() if requeued_at is None else requeued_at
            if time.monotonic() - requeued_at >= _REQUEUE_SETTLE_S:
                subprocess.run(["scontrol", "update", f"jobid={job_id}", "StartTime=now"], capture_output=True)
        assert time.monotonic() < deadline, f"job {job_id} still {state} after {timeout} s"
        time.sleep(0.5)


def _describe(fields: dict[str, str]) -> str:
    """The job's end as SLURM records it, for a failure message."""
    return " ".join(f"{k}={fields.get(k, '?')}" for k in ("JobState", "Reason", "ExitCode", "Restarts"))


def _log(output: Path) -> str:
    return "\n".join(p.read_text() for p in sorted((output / "slurm").glob("*.out")))


def test_preempted_job_requeues_and_matches_an_uninterrupted_one(tmp_path: Path) -> None:
    ref_id, ref_out = _submit(tmp_path, "ref")
    job_id, job_out = _submit(tmp_path, "preempted", signal_at=6, signal_name="SIGUSR1",
                              signal_target="slurm-batch")

    ref_state = _wait(ref_id)
    assert ref_state["JobState"] == "COMPLETED", f"{_describe(ref_state)}\n{_log(ref_out)}"
    [ref] = run_dirs(ref_out)
    assert (ref / "summary.json").exists()

    state = _wait(job_id)
    log = _log(job_out)
    assert state["JobState"] == "COMPLETED", f"{_describe(state)}\n{log}"
    assert state["Restarts"] == "1", f"{_describe(state)}\n{log}"
    assert "requeueing job" in log and "continues from its latest checkpoint" in log
    [run] = run_dirs(job_out)  # every attempt wrote into the same run directory
    assert_nested_equal(weights(run), weights(ref))
    assert_nested_equal(optim_state(run), optim_state(ref))
    strip = lambda lines: [{k: v for k, v in m.items() if not k.startswith("train_time/")} for m in lines]  # noqa: E731
    assert strip(metrics(run)) == strip(metrics(ref))
