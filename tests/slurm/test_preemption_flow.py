"""The whole preemption protocol with the real trainer, SLURM's tools stood in for: signal, checkpoint,
requeue, resume into the same run directory, and the same final weights as an uninterrupted run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from noether.cli.main import main
from tests.distributed.helpers import (
    REPO,
    assert_nested_equal,
    child_env,
    config,
    metrics,
    optim_state,
    run_dirs,
    single,
    weights,
    write_config,
)
from tests.slurm.conftest import FakeCluster


def _job(cluster: FakeCluster, script: Path) -> subprocess.CompletedProcess[str]:
    env = cluster.env()
    env.update({k: v for k, v in child_env().items() if k in ("PYTHONPATH", "OMP_NUM_THREADS")})
    env["SLURM_JOB_ID"] = "31"
    return subprocess.run(["bash", str(script)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)


def test_preempted_job_requeues_and_finishes_like_an_uninterrupted_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cluster: FakeCluster
) -> None:
    ref_cfg = write_config(tmp_path / "ref.yaml", config(tmp_path / "ref", dropout=0.2))
    done = single(ref_cfg)
    assert done.returncode == 0, done.stdout + done.stderr
    [ref] = run_dirs(tmp_path / "ref")

    # The job's config: after update 6 a callback plays SLURM and sends USR1 to the batch script (the
    # trainer's parent, since the stand-in srun execs it), exactly once.
    data: dict[str, Any] = config(tmp_path / "job out", dropout=0.2, signal_at=6, signal_name="SIGUSR1",
                                  signal_target="parent")
    data["slurm"] = {"job_name": "preempt-test"}
    (tmp_path / "my configs").mkdir()
    cfg = write_config(tmp_path / "my configs" / "job's cfg.yaml", data)
    assert main(["submit", str(cfg), "--dry-run"]) == 0
    script = tmp_path / "job.sh"
    script.write_text(capsys.readouterr().out)

    first = _job(cluster, script)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "preemption warning" in first.stderr
    assert cluster.calls("scontrol") == ["requeue", "31"]
    [run] = run_dirs(tmp_path / "job out")
    checkpoints = run / "checkpoints"
    assert json.loads((checkpoints / "latest.json").read_text())["tag"].endswith(".signal_interrupt")
    assert not (checkpoints / "mlp_cp=E3_U12_S192_model.th").exists()  # it stopped early

    # SLURM starts the requeued job: same script, same run.
    second = _job(cluster, script)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "continues from its latest checkpoint" in second.stdout
    assert cluster.calls("scontrol") == ["requeue", "31"]  # not again
    assert run_dirs(tmp_path / "job out") == [run]

    assert_nested_equal(weights(run), weights(ref))
    assert_nested_equal(optim_state(run), optim_state(ref))
    strip = lambda lines: [{k: v for k, v in m.items() if not k.startswith("train_time/")} for m in lines]  # noqa: E731
    assert strip(metrics(run)) == strip(metrics(ref))
