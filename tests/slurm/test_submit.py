"""``noether submit``: validation first, the rendered sbatch script, quoting, and the preemption protocol."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from noether.cli.main import main
from noether.core.schemas import SlurmConfig
from tests.distributed.helpers import config
from tests.slurm.conftest import FakeCluster, write_tool

# The two SlurmConfig examples of the behaviour reference (section 1.9).
EXAMPLE_1: dict[str, Any] = {
    "job_name": "x", "nodes": 2, "ntasks_per_node": 4, "gpus_per_node": "a100:4", "time": "1:00:00",
    "kill_on_invalid_dep": True, "nice": 0, "env_path": "a",
}
EXAMPLE_2: dict[str, Any] = {
    "partition": "gpu", "mem": "64GB", "cpus_per_task": 8, "output": "/x/%j.out", "array": "0-3",
    "chdir": "/w",
}


def write(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def job_config(tmp_path: Path, slurm: dict[str, Any] | None, name: str = "cfg.yaml") -> Path:
    data = config(tmp_path / "out")
    if slurm is not None:
        data["slurm"] = slurm
    return write(tmp_path / name, data)


def submit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["submit", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def directives(script: str) -> list[str]:
    return [line.removeprefix("#SBATCH ") for line in script.splitlines() if line.startswith("#SBATCH ")]


def test_dry_run_example_1(tmp_path: Path, capsys: pytest.CaptureFixture[str], cluster: FakeCluster) -> None:
    cfg = job_config(tmp_path, EXAMPLE_1)
    code, script, err = submit(capsys, str(cfg), "--dry-run")
    assert code == 0, err
    user = "--job-name=x --nodes=2 --ntasks-per-node=4 --gpus-per-node=a100:4 --time=1:00:00 " \
           "--kill-on-invalid-dep --nice=0"
    assert SlurmConfig(**EXAMPLE_1).to_srun_args() == user
    found = directives(script)
    # SlurmConfig's directives first, in declaration order, then the preemption protocol.
    assert " ".join(found[:7]) == user
    run_id = re.search(r"^run_id=(\S+)$", script, re.M).group(1)  # type: ignore[union-attr]
    assert found[7:] == ["--signal=B:USR1@120", "--requeue", "--open-mode=append",
                         f"--output={tmp_path / 'out' / 'slurm' / run_id}-%j.out"]
    assert script.startswith("#!/bin/bash\n")
    assert "\nsource a || " in script
    assert "\nsrun noether run \"${args[@]}\" &\n" in script
    assert f"args=({cfg} \"run_id=\\\"$run_id\\\"\")" in script
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)
    assert cluster.calls("sbatch") == []  # a dry run submits nothing
    assert not (tmp_path / "out" / "slurm").exists()


def test_dry_run_example_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], cluster: FakeCluster) -> None:
    cfg = job_config(tmp_path, EXAMPLE_2)
    code, script, err = submit(capsys, str(cfg), "--dry-run", "--grace", "300")
    assert code == 0, err
    assert directives(script) == ["--partition=gpu", "--cpus-per-task=8", "--mem=64GB", "--output=/x/%j.out",
                                  "--array=0-3", "--chdir=/w", "--signal=B:USR1@300", "--requeue",
                                  "--open-mode=append"]  # output set: no default log path
    assert " ".join(directives(script)[:6]) == SlurmConfig(**EXAMPLE_2).to_srun_args()
    assert "source" not in script  # no env_path
    # An array's tasks get their own run ids; chdir pins output_path to where submit resolved it.
    assert '-a"${SLURM_ARRAY_TASK_ID:-0}"' in script
    assert f"'output_path=\"{tmp_path / 'out'}\"'" in script
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)


def test_directive_values_with_spaces_are_quoted_and_unsafe_ones_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cluster: FakeCluster
) -> None:
    cfg = job_config(tmp_path, {"job_name": "my job", "output": "/my logs/%j.out"})
    code, script, err = submit(capsys, str(cfg), "--dry-run")
    assert code == 0, err
    assert directives(script)[:2] == ['--job-name="my job"', '--output="/my logs/%j.out"']
    cfg = job_config(tmp_path, {"job_name": "a#b"}, "bad.yaml")
    code, out, err = submit(capsys, str(cfg), "--dry-run")
    assert code == 2 and out == ""
    assert "slurm" in err and "#SBATCH line cannot carry" in err


def test_broken_config_queues_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      cluster: FakeCluster) -> None:
    data = config(tmp_path / "out")
    data["slurm"] = {"time": "1:2:3:4", "mem": "4GiB"}
    data["trainer"]["effective_batch_size"] = "sixteen"
    cfg = write(tmp_path / "broken.yaml", data)
    code, out, err = submit(capsys, str(cfg))
    assert code == 2 and out == ""
    assert "slurm.time" in err and "slurm.mem" in err and "trainer.effective_batch_size" in err
    assert f"{cfg}:" in err  # located
    code, out, err = submit(capsys, str(job_config(tmp_path, EXAMPLE_1)), "trainer.max_epochs=many")
    assert code == 2 and "trainer.max_epochs" in err and "override" in err
    assert cluster.calls("sbatch") == []
    assert not (tmp_path / "out" / "slurm").exists()


def test_a_config_without_slurm_section_queues_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       cluster: FakeCluster) -> None:
    code, out, err = submit(capsys, str(job_config(tmp_path, None)))
    assert code == 2 and out == ""
    assert "slurm" in err and "section" in err
    assert cluster.calls("sbatch") == []


def test_invalid_run_id_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   cluster: FakeCluster) -> None:
    code, _, err = submit(capsys, str(job_config(tmp_path, EXAMPLE_1)), "run_id=a b", "--dry-run")
    assert code == 2 and "run_id" in err


def test_submit_writes_the_script_and_prints_the_job_id(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        cluster: FakeCluster) -> None:
    cfg = job_config(tmp_path, EXAMPLE_1)
    code, out, err = submit(capsys, str(cfg), "run_id=fixed-id")
    assert code == 0, err
    assert out == "4242\n"
    script = tmp_path / "out" / "slurm" / "fixed-id.sbatch"
    assert cluster.calls("sbatch") == ["--parsable", str(script)]
    assert "run_id=fixed-id\n" in script.read_text()
    assert os.access(script, os.X_OK)
    assert not (tmp_path / "out" / "fixed-id").exists()  # the run directory is the job's to create


def test_submit_without_sbatch(tmp_path: Path, capsys: pytest.CaptureFixture[str], cluster: FakeCluster,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    code, out, err = submit(capsys, str(job_config(tmp_path, EXAMPLE_1)))
    assert code == 1 and out == ""
    assert "sbatch is not on PATH" in err and "--dry-run" in err


def test_sbatch_failure_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    cluster: FakeCluster) -> None:
    write_tool(cluster.bin, "sbatch", 'echo "sbatch: error: Invalid partition name specified" >&2\nexit 1\n')
    code, out, err = submit(capsys, str(job_config(tmp_path, {"partition": "nope"})))
    assert code == 1 and out == ""
    assert "Invalid partition name" in err


# ------------------------------------------------------------------------------------------------------------
# Running the rendered script with stand-ins for srun, scontrol and noether
# ------------------------------------------------------------------------------------------------------------
FAKE_NOETHER = """\
python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" >> "$ARGV_LOG"
case "$FAKE_MODE" in
  exit*) exit "${FAKE_MODE#exit}" ;;
  preempt)
    # Like the trainer: USR1 only sets a flag; stop (status 75) after the current "update".
    stop=0
    trap 'stop=1' USR1
    touch "$STARTED"
    while [ "$stop" -eq 0 ]; do sleep 0.05; done
    exit 75 ;;
esac
"""

NASTY = ["name=it's a \"quoted\" name", "trainer.max_epochs=1", "model.name=$HOME`id`;x",
         "~trainer.track_every_n_updates"]


def render(tmp_path: Path, capsys: pytest.CaptureFixture[str], *overrides: str) -> tuple[Path, Path, Path]:
    """A config in a directory with spaces and quotes; returns (config, script, run dir)."""
    cfg = job_config(tmp_path / "my 'configs' dir", {"job_name": "t"}, "my cfg.yaml")
    code, script, err = submit(capsys, str(cfg), *overrides, "run_id=job-1", "--dry-run")
    assert code == 0, err
    path = tmp_path / "job.sh"
    path.write_text(script)
    return cfg, path, tmp_path / "my 'configs' dir" / "out" / "job-1"


def start(cluster: FakeCluster, script: Path, tmp_path: Path, mode: str, *,
          with_scontrol: bool = True) -> subprocess.Popen[str]:
    write_tool(cluster.bin, "noether", FAKE_NOETHER)
    env = cluster.env(with_scontrol=with_scontrol)
    env.update(ARGV_LOG=str(tmp_path / "argv"), FAKE_MODE=mode, STARTED=str(tmp_path / "started"),
               SLURM_JOB_ID="77")
    bash = shutil.which("bash") or "/bin/bash"
    return subprocess.Popen([bash, str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def argv_log(tmp_path: Path) -> list[list[str]]:
    return [json.loads(line) for line in (tmp_path / "argv").read_text().splitlines()]


def wait_for(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.02)


def test_script_passes_paths_and_overrides_verbatim(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    cluster: FakeCluster) -> None:
    cfg, script, _ = render(tmp_path, capsys, *NASTY)
    job = start(cluster, script, tmp_path, "exit0")
    _, err = job.communicate(timeout=30)
    assert job.returncode == 0, err
    [argv] = argv_log(tmp_path)
    assert argv == ["run", str(cfg), *NASTY, "run_id=job-1", 'run_id="job-1"']
    assert cluster.calls("scontrol") == []


def test_exit_status_passes_through_without_preemption(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       cluster: FakeCluster) -> None:
    _, script, _ = render(tmp_path, capsys)
    for status in (3, 75):  # 75 without the preemption signal (e.g. a plain SIGTERM): no requeue
        job = start(cluster, script, tmp_path, f"exit{status}")
        job.communicate(timeout=30)
        assert job.returncode == status
    assert cluster.calls("scontrol") == []


def test_preemption_requeues_and_the_requeued_job_resumes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          cluster: FakeCluster) -> None:
    cfg, script, run_dir = render(tmp_path, capsys)
    job = start(cluster, script, tmp_path, "preempt")
    wait_for(tmp_path / "started")
    job.send_signal(signal.SIGUSR1)  # what `--signal=B:USR1@<grace>` does
    out, err = job.communicate(timeout=30)
    assert job.returncode == 0, err
    assert "preemption warning" in err and "requeueing job 77" in err
    assert cluster.calls("scontrol") == ["requeue", "77"]
    [first] = argv_log(tmp_path)
    assert first == ["run", str(cfg), "run_id=job-1", 'run_id="job-1"']

    # The requeued job: the trainer wrote a checkpoint, so the job continues the same run.
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "checkpoints" / "latest.json").write_text('{"tag": "E1_U7_S112.signal_interrupt"}')
    job = start(cluster, script, tmp_path, "exit0")
    out, err = job.communicate(timeout=30)
    assert job.returncode == 0, err
    assert "continues from its latest checkpoint" in out
    second = argv_log(tmp_path)[1]
    assert second == [*first, 'resume_run_id="job-1"', "resume_checkpoint=latest", "resume_stage_name=null"]


def test_preemption_without_scontrol_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             cluster: FakeCluster) -> None:
    _, script, _ = render(tmp_path, capsys)
    job = start(cluster, script, tmp_path, "preempt", with_scontrol=False)
    wait_for(tmp_path / "started")
    job.send_signal(signal.SIGUSR1)
    _, err = job.communicate(timeout=30)
    assert job.returncode == 75
    assert "cannot requeue job 77: 'scontrol' is not on PATH" in err


# ------------------------------------------------------------------------------------------------------------
# Several nodes, several GPUs per node
# ------------------------------------------------------------------------------------------------------------
TWO_BY_FOUR: dict[str, Any] = {"job_name": "big", "nodes": 2, "ntasks_per_node": 4, "gpus_per_node": 4,
                               "cpus_per_task": 8, "time": "4:00:00"}


def test_two_nodes_by_four_gpus_render_one_task_per_gpu_and_one_rendezvous(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cluster: FakeCluster
) -> None:
    code, script, err = submit(capsys, str(job_config(tmp_path, TWO_BY_FOUR)), "--dry-run")
    assert code == 0, err
    found = directives(script)
    assert found[:5] == ["--job-name=big", "--nodes=2", "--ntasks-per-node=4", "--cpus-per-task=8",
                         "--gpus-per-node=4"]
    assert "--requeue" in found and "--signal=B:USR1@120" in found
    assert "# Layout: 2 nodes x 4 training tasks per node, 4 GPU(s) per node (one per task); 8 processes in all." \
        in script
    assert 'first_node=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)' in script
    assert "export MASTER_PORT=$((15000 + ${SLURM_JOB_ID:-0} % 10000))" in script
    # One srun step for all 8 tasks; the preemption signal goes to srun, which passes it to every node.
    assert script.count("\nsrun ") == 1 and 'kill -USR1 "$srun_pid"' in script
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)


def test_the_rendered_rendezvous_is_the_first_node_of_the_allocation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cluster: FakeCluster
) -> None:
    code, script, err = submit(capsys, str(job_config(tmp_path, TWO_BY_FOUR)), "run_id=big-1", "--dry-run")
    assert code == 0, err
    path = tmp_path / "job.sh"
    path.write_text(script)
    # scontrol expands the compressed node list; noether records the endpoint it would join.
    write_tool(cluster.bin, "scontrol",
               'if [ "$1 $2 $3" = "show hostnames gpu[07-08]" ]; then printf "gpu07\\ngpu08\\n"; fi\n')
    write_tool(cluster.bin, "noether", 'echo "$MASTER_ADDR:$MASTER_PORT" > "$ENDPOINT"\n')
    env = cluster.env()
    env.update(SLURM_JOB_ID="123456", SLURM_JOB_NODELIST="gpu[07-08]", ENDPOINT=str(tmp_path / "endpoint"))
    done = subprocess.run([shutil.which("bash") or "/bin/bash", str(path)], env=env, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "endpoint").read_text().strip() == f"gpu07:{15000 + 123456 % 10000}"


@pytest.mark.parametrize(("slurm", "field", "words"), [
    ({"nodes": 2, "ntasks_per_node": 2, "gpus_per_node": 4}, "slurm.ntasks_per_node",
     ["2 training task(s) per node", "gpus_per_node=4", "set ntasks_per_node: 4"]),
    ({"nodes": 2, "gpus_per_node": "a100:4"}, "slurm.ntasks_per_node",
     ["is not set", "4 GPUs per node", "ntasks_per_node: 4"]),
    ({"nodes": 2, "ntasks_per_node": 4, "ntasks": 6, "gpus_per_node": 4}, "slurm.ntasks",
     ["ntasks=6", "= 8"]),
    ({"nodes": 2, "ntasks_per_node": 4, "gpus": 4}, "slurm.gpus", ["starts 8 training task(s)"]),
    ({"nodes": 2, "ntasks_per_node": 4, "gres": "gpu:a100:2"}, "slurm.ntasks_per_node", ["gres='gpu:a100:2'"]),
], ids=["tasks-vs-gpus", "no-tasks-per-node", "ntasks-total", "gpus-total", "gres"])
def test_inconsistent_layouts_are_rejected_at_their_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cluster: FakeCluster, slurm: dict[str, Any],
    field: str, words: list[str],
) -> None:
    cfg = job_config(tmp_path, slurm)
    code, out, err = submit(capsys, str(cfg))
    assert code == 2 and out == "", err
    assert "cannot submit" in err and f"{field}:" in err
    for word in words:
        assert word in err, (word, err)
    assert f"{cfg}:" in err  # located in the file
    assert "Traceback" not in err
    assert cluster.calls("sbatch") == []
