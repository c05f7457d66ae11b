"""``noether sweep --slurm``: one array job whose tasks run the points (fake sbatch/srun, real noether runs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.slurm.conftest import FakeCluster
from tests.sweep.test_sweep import ROOT, TOY


def test_the_array_job_runs_each_point_as_its_own_task(tmp_path: Path) -> None:
    fake = FakeCluster(tmp_path)
    config = tmp_path / "toy.yaml"
    config.write_text(TOY.format(out=tmp_path / "out") + "slurm: {job_name: toy-sweep, time: '15'}\n")
    sweep_dir = tmp_path / "sweep"
    words = [sys.executable, "-m", "noether", "sweep", str(config), "datasets.train.size=16,24",
             "--slurm", "--sweep-dir", str(sweep_dir)]
    submitted = subprocess.run(words, capture_output=True, text=True, cwd=ROOT, env=fake.env(), timeout=120)
    assert submitted.returncode == 0, submitted.stderr
    assert submitted.stdout.splitlines()[-1] == "4242"
    script = sweep_dir / "sweep.sbatch"
    assert fake.calls("sbatch") == ["--parsable", str(script)]
    assert "#SBATCH --array=0,1" in script.read_text()
    assert json.loads((sweep_dir / "sweep.json").read_text())["points"][1]["overrides"] == ["datasets.train.size=24"]

    for task in ("0", "1"):
        env = {**fake.env(), "SLURM_ARRAY_TASK_ID": task, "SLURM_JOB_ID": f"77{task}"}
        done = subprocess.run(["bash", str(script)], capture_output=True, text=True, cwd=ROOT, env=env,
                              timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        run_id = f"p00{task}"
        assert (sweep_dir / "done" / run_id).exists()
        resolved = (sweep_dir / run_id / "hp_resolved.yaml").read_text()
        assert f"size: {16 if task == '0' else 24}" in resolved and f"run_id: {run_id}" in resolved

    unknown = subprocess.run(["bash", str(script)], capture_output=True, text=True, cwd=ROOT,
                             env={**fake.env(), "SLURM_ARRAY_TASK_ID": "7"}, timeout=60)
    assert unknown.returncode == 1 and "no sweep point for array task 7" in unknown.stderr

    again = subprocess.run(words, capture_output=True, text=True, cwd=ROOT, env=fake.env(), timeout=120)
    assert again.returncode == 0, again.stderr
    assert "every point is finished; nothing to submit" in again.stdout
    assert os.path.getsize(fake.log / "sbatch") > 0 and len(fake.calls("sbatch")) == 2  # not submitted again
