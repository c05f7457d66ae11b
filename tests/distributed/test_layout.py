"""Process layout, sharding, the collectives in one process and under torchrun."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from noether.training.distributed import (
    ProcessLayout,
    all_gather_cat,
    all_reduce_mean,
    any_process,
    detect_layout,
    free_port,
    gather_objects,
    is_reporting_process,
    shard_indices,
)
from tests.distributed.helpers import REPO, child_env


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ProcessLayout()),
        # Without LOCAL_WORLD_SIZE every process counts as on this node.
        ({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"}, ProcessLayout(3, 4, 1, 4)),
        ({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"}, ProcessLayout(3, 4, 1, 2)),
        # srun tasks: the step's task count.
        ({"SLURM_PROCID": "2", "SLURM_STEP_NUM_TASKS": "4", "SLURM_NTASKS": "4", "SLURM_LOCALID": "0",
          "SLURM_STEP_ID": "0"}, ProcessLayout(2, 4, 0, 4)),
        ({"SLURM_PROCID": "2", "SLURM_STEP_NUM_TASKS": "4", "SLURM_STEP_TASKS_PER_NODE": "2(x2)",
          "SLURM_LOCALID": "0"}, ProcessLayout(2, 4, 0, 2)),
        # The batch script itself (no srun): one process, even though the job has 4 tasks.
        ({"SLURM_PROCID": "0", "SLURM_NTASKS": "4", "SLURM_JOB_ID": "7"}, ProcessLayout()),
        ({"SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "1", "SLURM_NTASKS": "1"}, ProcessLayout()),
        # torchrun inside a SLURM job: torchrun's variables win.
        ({"RANK": "1", "WORLD_SIZE": "2", "SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "1"},
         ProcessLayout(1, 2, 0, 2)),
    ],
)
def test_detect_layout(env: dict[str, str], expected: ProcessLayout) -> None:
    assert detect_layout(env) == expected


@pytest.mark.parametrize(
    ("env", "reports"),
    [
        ({}, True),
        ({"RANK": "0", "SLURM_PROCID": "1"}, True),  # torchrun in a SLURM job: torchrun's rank decides
        ({"RANK": "1"}, False),
        ({"SLURM_PROCID": "0"}, True),
        # srun without torchrun (also when the tasks do not form a process group): one report per job
        ({"SLURM_PROCID": "1", "SLURM_NTASKS": "2"}, False),
    ],
)
def test_one_end_of_run_report_per_job(env: dict[str, str], reports: bool) -> None:
    assert is_reporting_process(env) is reports


@pytest.mark.parametrize("world", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("length", [0, 1, 2, 7, 30, 32, 101])
def test_shards_cover_the_dataset_once_in_order(length: int, world: int) -> None:
    shards = [shard_indices(length, rank, world) for rank in range(world)]
    assert [i for s in shards for i in s] == list(range(length))
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1


def test_collectives_are_the_identity_in_one_process() -> None:
    value = torch.arange(4.0)
    assert all_reduce_mean(value) is value
    assert all_gather_cat(value) is value
    assert any_process(True) and not any_process(False)
    assert gather_objects({"a": 1}) == [{"a": 1}]
    assert 0 < free_port() < 65536


def test_collectives_under_torchrun() -> None:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
           f"--master_port={free_port()}", str(REPO / "tests" / "distributed" / "collectives_worker.py")]
    done = subprocess.run(cmd, cwd=REPO, env=child_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rank 0 ok" in done.stdout and "rank 1 ok" in done.stdout
