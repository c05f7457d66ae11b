"""Two nodes on loopback: two ``torchrun --nnodes=2 --nproc_per_node=1`` launchers meet through a c10d rendezvous
on 127.0.0.1 and train like one process (CPU, gloo).

Both launchers run on this machine, so "node" here means "launcher": each has its own agent, local rank 0 and
a local world of one process, exactly the layout of one GPU per node.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import torch

from noether.core.callbacks.base import PeriodicCallback
from noether.core.schemas.callbacks import CallBackBaseConfig
from tests.distributed.helpers import REPO, child_env, config, load, metrics, run_dirs, single, write_config

TIMING = "train_time/"


@attrs.frozen(kw_only=True)
class RecordLayoutConfig(CallBackBaseConfig):
    """Write what this process believes about its place in the job to ``<folder>/rank<RANK>.json``."""

    name: str = "tests.distributed.test_multinode.RecordLayout"  # type: ignore[assignment]
    folder: str = ""


class RecordLayout(PeriodicCallback):
    """Records the launcher's variables, the engine's rank view and the device, once per process."""

    config_class = RecordLayoutConfig
    may_use_rng = False

    def before_training(self, counter: Any) -> None:
        """Write the record before the first update (every process, not only rank 0)."""
        from noether.training.distributed import detect_layout

        layout = detect_layout()
        record = {
            "env": {k: os.environ.get(k) for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE",
                                                   "GROUP_RANK", "MASTER_ADDR")},
            "layout": attrs.asdict(layout),
            "ctx_rank": self.ctx.rank, "ctx_world_size": self.ctx.world_size, "is_rank0": self.ctx.is_rank0,
            "device": str(self.ctx.device),
            "group_world_size": torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1,
            "run_dir": str(self.ctx.run_dir),
        }
        path = Path(self.config.folder) / f"rank{layout.rank}.json"
        path.write_text(json.dumps(record), encoding="utf-8")


def _launcher(cfg: Path, port: int, node_rank: int, *overrides: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--nproc_per_node=1",
           "--rdzv_backend=c10d", f"--rdzv_endpoint=127.0.0.1:{port}", "--rdzv_id=loopback-test",
           f"--node_rank={node_rank}", "--max_restarts=0", "-m", "noether", "run", str(cfg), *overrides]
    return subprocess.Popen(cmd, cwd=REPO, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def two_launchers(cfg: Path, *overrides: str, timeout: float = 300) -> list[tuple[int, str]]:
    """Start both launchers at once (the rendezvous waits for both) and collect (status, output) of each."""
    from noether.training.distributed import free_port

    port = free_port()
    procs = [_launcher(cfg, port, node, *overrides) for node in (0, 1)]
    results = []
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            raise
        results.append((proc.returncode, out))
    return results


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6)


def test_two_nodes_on_loopback_train_like_one_process(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    one_data = config(tmp_path / "one")
    two_data = config(tmp_path / "two")
    two_data["trainer"]["callbacks"].append({"name": "tests.distributed.test_multinode.RecordLayout",
                                             "folder": str(records), "every_n_epochs": 100})
    one = write_config(tmp_path / "one.yaml", one_data)
    two = write_config(tmp_path / "two.yaml", two_data)

    done = single(one)
    assert done.returncode == 0, done.stdout + done.stderr
    results = two_launchers(two)
    for code, out in results:
        assert code == 0, out

    # The layout: two global ranks, each local rank 0 of a one-process "node", agreeing on one run directory.
    by_rank = {int(p.stem.removeprefix("rank")): json.loads(p.read_text()) for p in records.glob("rank*.json")}
    assert sorted(by_rank) == [0, 1]
    for rank, rec in by_rank.items():
        assert rec["env"]["RANK"] == str(rank) and rec["env"]["WORLD_SIZE"] == "2"
        assert rec["env"]["LOCAL_RANK"] == "0" and rec["env"]["LOCAL_WORLD_SIZE"] == "1"
        assert rec["layout"] == {"rank": rank, "world_size": 2, "local_rank": 0, "local_world_size": 1}
        assert (rec["ctx_rank"], rec["ctx_world_size"], rec["is_rank0"]) == (rank, 2, rank == 0)
        assert rec["group_world_size"] == 2
        assert rec["device"] == "cpu"
    # Each launcher is a different node (torchrun's GROUP_RANK is the node's rank in the rendezvous).
    assert {rec["env"]["GROUP_RANK"] for rec in by_rank.values()} == {"0", "1"}
    assert by_rank[0]["run_dir"] == by_rank[1]["run_dir"]

    # Only rank 0 writes: one run directory holding the same files as the single-process run.
    [dir1] = run_dirs(tmp_path / "one")
    [dir2] = run_dirs(tmp_path / "two")
    assert str(dir2) == by_rank[0]["run_dir"]
    assert sorted(p.name for p in (dir2 / "checkpoints").iterdir()) == \
        sorted(p.name for p in (dir1 / "checkpoints").iterdir())
    assert sorted(p.name for p in dir2.iterdir()) == sorted(p.name for p in dir1.iterdir())

    # Same final weights (and EMA weights) as one process with the same global batch and data order; the
    # all-reduce averages gradients in another order of additions, hence a float tolerance.
    for tag_file in ("mlp_cp=last_model.th", "mlp_ema=0.9_cp=last_model.th"):
        w1 = load(dir1 / "checkpoints" / tag_file)["state_dict"]
        w2 = load(dir2 / "checkpoints" / tag_file)["state_dict"]
        assert w1.keys() == w2.keys()
        for key in w1:
            torch.testing.assert_close(w2[key], w1[key], rtol=1e-4, atol=1e-6, msg=f"{tag_file}: {key}")

    # Metrics reduced across both nodes: the same rows and values as one process, written once.
    m1, m2 = metrics(dir1), metrics(dir2)
    assert [m["update"] for m in m2] == [m["update"] for m in m1]
    for a, b in zip(m1, m2, strict=True):
        assert a.keys() == b.keys()
        for key, value in a.items():
            if not key.startswith(TIMING) and isinstance(value, float):
                assert _close(b[key], value), (a["update"], key, value, b[key])
    # The evaluation is split over the nodes and gathered: all 32 validation samples, none twice.
    counts = [m["eval/val/count"] for m in m2 if "eval/val/count" in m]
    assert counts and all(c == 32 for c in counts)
    # Console output from rank 0 only: the report appears once over both launchers.
    assert sum(out.count("loss/val/total") for _, out in results) == done.stdout.count("loss/val/total")
