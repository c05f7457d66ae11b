"""FSDP2 (``trainer.strategy.kind: fsdp``) with 2 CPU processes (gloo): trains like one process, writes sharded
checkpoints through the store, resumes exactly, and its checkpoints load into another world size and into one
process with no process group."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from noether.core.writers.atomic import CorruptCheckpointError
from noether.core.writers.checkpoints import CheckpointStore
from noether.training.sharded_checkpoint import SHARDED, load_full_state, verify_shards
from tests.distributed.helpers import (
    REPO,
    assert_nested_equal,
    child_env,
    config,
    load,
    metrics,
    run_dirs,
    single,
    torchrun,
    weights,
    write_config,
)

TIMING = "train_time/"
EMA = "mlp_ema=0.9_cp=last_model.th"


def fsdp_config(output: Path, **kwargs: Any) -> dict[str, Any]:
    data = config(output, **kwargs)
    data["trainer"]["strategy"] = {"kind": "fsdp"}
    return data


def _ok(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stdout + done.stderr


def _close_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], what: str) -> None:
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(b[key], a[key], rtol=1e-4, atol=1e-6, msg=f"{what}: {key}")


def _strip(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in m.items() if not k.startswith(TIMING)} for m in lines]


@pytest.mark.parametrize("max_batch_size", [None, 4], ids=["no-accumulation", "accumulation"])
def test_fsdp_trains_like_one_process_and_writes_every_shard(tmp_path: Path, max_batch_size: int | None) -> None:
    one = write_config(tmp_path / "one.yaml", config(tmp_path / "one", max_batch_size=max_batch_size))
    two = write_config(tmp_path / "two.yaml", fsdp_config(tmp_path / "two", max_batch_size=max_batch_size))
    _ok(single(one))
    _ok(torchrun(two))
    [dir1] = run_dirs(tmp_path / "one")
    [dir2] = run_dirs(tmp_path / "two")
    ckpt = dir2 / "checkpoints"

    # The gathered full weights, and the EMA averaged over the shards, match one process.
    _close_weights(weights(dir1), weights(dir2), "weights")
    _close_weights(load(dir1 / "checkpoints" / EMA)["state_dict"], load(ckpt / EMA)["state_dict"], "ema")

    # No optimizer file: its state lives in the shards, one file per rank, each listed in the manifest.
    assert not list(ckpt.glob("*_optim.th"))
    manifest = json.loads((ckpt / "last.manifest.json").read_text())
    entry = manifest[SHARDED]
    assert entry["directory"] == "mlp_cp=last_dcp" and entry["world_size"] == 2
    assert sorted(entry["files"]) == [".metadata", "__0_0.distcp", "__1_0.distcp"]
    assert not list(ckpt.glob(".*.partial"))  # no staging directory left behind
    verify_shards(ckpt, entry)

    # One process, no process group: the shards give the full weights (equal to the gathered file) and
    # the optimizer state by parameter name.
    full = load_full_state(ckpt / "mlp_cp=last_dcp")
    assert_nested_equal(full["model"], weights(dir2))
    assert set(full["optim"]["mlp"]["state"]) == {k for k in full["model"]}

    # Metrics reduced over the ranks as under DDP.
    m1, m2 = metrics(dir1), metrics(dir2)
    assert [m["update"] for m in m2] == [m["update"] for m in m1]


def test_fsdp_resume_is_exact_and_reshards(tmp_path: Path) -> None:
    ref_cfg = write_config(tmp_path / "ref.yaml", fsdp_config(tmp_path / "ref", dropout=0.2, max_batch_size=8))
    cfg = write_config(tmp_path / "run.yaml", fsdp_config(tmp_path / "run", dropout=0.2, max_batch_size=8))
    _ok(torchrun(ref_cfg))
    [ref] = run_dirs(tmp_path / "ref")

    # SIGTERM to rank 1 during update 6's callbacks: both ranks stop after update 7 and write their shards.
    signal_cb = "trainer.callbacks[4]"
    done = torchrun(cfg, f"{signal_cb}.at_update=6", f"{signal_cb}.rank=1")
    assert done.returncode != 0, "a signal stop is not a success"
    [run] = run_dirs(tmp_path / "run")
    tag = "E1_U7_S112.signal_interrupt"
    manifest = json.loads((run / "checkpoints" / f"{tag}.manifest.json").read_text())
    assert sorted(manifest[SHARDED]["files"]) == [".metadata", "__0_0.distcp", "__1_0.distcp"]

    done = torchrun(cfg, f"resume_run_id={run.name}", f"run_id={run.name}")
    _ok(done)
    # Bit-exact: weights, EMA, the optimizer state in the shards and every metric row after the cut.
    assert_nested_equal(weights(run), weights(ref))
    assert_nested_equal(load(run / "checkpoints" / EMA)["state_dict"], load(ref / "checkpoints" / EMA)["state_dict"])
    assert_nested_equal(load_full_state(run / "checkpoints" / "mlp_cp=last_dcp")["optim"],
                        load_full_state(ref / "checkpoints" / "mlp_cp=last_dcp")["optim"])
    assert _strip(metrics(run)) == _strip(metrics(ref))

    # The 2-process shards continue in ONE process (DCP reshards): same data order and weights at the cut; the
    # per-rank dropout streams cannot continue, so only closeness is expected.
    one = write_config(tmp_path / "one.yaml", fsdp_config(tmp_path / "run", dropout=0.2, max_batch_size=8))
    done = single(one, f"resume_run_id={run.name}", f"resume_checkpoint={tag}", "run_id=one-process")
    _ok(done)
    assert "EMA shards of 2 processes" in done.stdout + done.stderr  # said, not silently wrong
    resumed = tmp_path / "run" / "one-process"
    trained = weights(resumed)
    assert trained.keys() == weights(ref).keys()
    assert all(torch.isfinite(t).all() for t in trained.values())


def test_shards_only_and_a_damaged_shard_is_refused(tmp_path: Path) -> None:
    data = fsdp_config(tmp_path / "out", epochs=1)
    data["trainer"]["strategy"]["full_weights_file"] = False
    cfg = write_config(tmp_path / "cfg.yaml", data)
    _ok(torchrun(cfg))
    [run] = run_dirs(tmp_path / "out")
    ckpt = run / "checkpoints"
    # No gathered weights file: the shards alone hold the model, readable in one process.
    assert not list(ckpt.glob("mlp_cp=*_model.th"))
    full = load_full_state(ckpt / "mlp_cp=last_dcp")
    assert {k: tuple(v.shape) for k, v in full["model"].items()}["net.0.weight"] == (16, 3)
    entry = json.loads((ckpt / "last.manifest.json").read_text())[SHARDED]
    shard = ckpt / entry["directory"] / "__1_0.distcp"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(CorruptCheckpointError, match="does not match its manifest"):
        verify_shards(ckpt, entry)
    # The store treats the set as damaged (a resume from 'latest' then falls back to an older set).
    with pytest.raises(CorruptCheckpointError, match="does not match its manifest"):
        CheckpointStore(ckpt).load_set("last")


def test_verify_resume_under_torchrun_with_fsdp_is_identical(tmp_path: Path) -> None:
    from noether.training.distributed import free_port

    cfg = write_config(tmp_path / "cfg.yaml", fsdp_config(tmp_path / "out", dropout=0.2, max_batch_size=8))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--nnodes=1",
           f"--master_port={free_port()}", "-m", "noether", "verify-resume", str(cfg), "--updates", "8"]
    done = subprocess.run(cmd, cwd=REPO, env=child_env(), capture_output=True, text=True, timeout=300)
    _ok(done)
    assert "IDENTICAL" in done.stdout, done.stdout + done.stderr
    assert "mlp_cp=last_dcp" in done.stdout  # the sharded optimizer state was compared too


def test_shard_directories_of_dead_writers_are_removed_listed_ones_kept(tmp_path: Path) -> None:
    ckpt = tmp_path / "checkpoints"
    for name in ("mlp_cp=A_dcp", "mlp_cp=B_dcp", ".mlp_cp=C_dcp.partial"):
        (ckpt / name).mkdir(parents=True)
        (ckpt / name / "__0_0.distcp").write_bytes(b"x")
    manifest = {"tag": "A", "files": {}, "training_iteration": {"update": 1}, SHARDED: {"directory": "mlp_cp=A_dcp"}}
    (ckpt / "A.manifest.json").write_text(json.dumps(manifest))
    assert CheckpointStore(ckpt).clean_leftovers() == 2
    assert sorted(p.name for p in ckpt.iterdir()) == ["A.manifest.json", "mlp_cp=A_dcp"]
    # Deleting the set removes its shards too.
    CheckpointStore(ckpt).delete("A")
    assert list(ckpt.iterdir()) == []
