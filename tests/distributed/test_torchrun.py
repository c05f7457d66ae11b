"""``torchrun --nproc_per_node=2`` on CPU (gloo): trains like one process, writes once, resumes exactly."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch

from tests.distributed.helpers import (
    assert_nested_equal,
    config,
    load,
    metrics,
    optim_state,
    run_dirs,
    single,
    torchrun,
    weights,
    write_config,
)

TIMING = "train_time/"


def _with_odd_eval_set(data: dict[str, Any]) -> dict[str, Any]:
    """Add a 30-sample dataset (15 + 15 samples on two ranks, 7 batches of 4 + 2 in one process)."""
    data["datasets"]["odd"] = {"kind": "tests.engine.toy.ToyDataset", "size": 30, "seed": 2}
    data["trainer"]["callbacks"].append({"name": "tests.distributed.helpers.RecordSamples", "id": "odd",
                                         "dataset_key": "odd", "every_n_epochs": 1, "batch_size": 4})
    return data


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6)


@pytest.mark.parametrize("max_batch_size", [None, 4], ids=["no-accumulation", "accumulation"])
def test_two_processes_train_like_one(tmp_path: Path, max_batch_size: int | None) -> None:
    one = write_config(tmp_path / "one.yaml",
                       _with_odd_eval_set(config(tmp_path / "one", max_batch_size=max_batch_size)))
    two = write_config(tmp_path / "two.yaml",
                       _with_odd_eval_set(config(tmp_path / "two", max_batch_size=max_batch_size)))
    done1 = single(one)
    assert done1.returncode == 0, done1.stdout + done1.stderr
    done2 = torchrun(two)
    assert done2.returncode == 0, done2.stdout + done2.stderr

    # One run directory: rank 1 created none, and both ranks agreed on the run id.
    [dir1] = run_dirs(tmp_path / "one")
    [dir2] = run_dirs(tmp_path / "two")

    # Same weights (and EMA weights) as one process with the same global batch and data order.
    for tag_file in ("mlp_cp=last_model.th", "mlp_ema=0.9_cp=last_model.th"):
        w1 = load(dir1 / "checkpoints" / tag_file)["state_dict"]
        w2 = load(dir2 / "checkpoints" / tag_file)["state_dict"]
        for key in w1:
            torch.testing.assert_close(w2[key], w1[key], rtol=1e-4, atol=1e-6, msg=f"{tag_file}: {key}")

    # Checkpoints written once: the same files as one process, nothing temporary left behind.
    files1 = sorted(p.name for p in (dir1 / "checkpoints").iterdir())
    files2 = sorted(p.name for p in (dir2 / "checkpoints").iterdir())
    assert files2 == files1
    assert sorted(p.name for p in dir2.iterdir()) == sorted(p.name for p in dir1.iterdir())

    # Metrics logged once per step, reduced over ranks: the same lines and values as one process.
    m1, m2 = metrics(dir1), metrics(dir2)
    assert [m["update"] for m in m2] == [m["update"] for m in m1]
    for a, b in zip(m1, m2, strict=True):
        assert a.keys() == b.keys()
        for key, value in a.items():
            if not key.startswith(TIMING) and isinstance(value, float):
                assert _close(b[key], value), (a["update"], key, value, b[key])

    # Evaluation split over ranks: every sample of the odd-sized set once, in dataset order, no padding.
    odd = [m for m in m2 if "eval/odd/count" in m]
    assert len(odd) == 3 and all(m["eval/odd/count"] == 30 for m in odd)
    ref = [m for m in m1 if "eval/odd/count" in m]
    assert [(m["eval/odd/sum"], m["eval/odd/weighted"]) for m in odd] == \
        [(m["eval/odd/sum"], m["eval/odd/weighted"]) for m in ref]

    # Console output once (rank 1 prints warnings only).
    # logged once per evaluation (3), plus the final report line: not once per process
    assert done2.stdout.count("loss/val/total") == done1.stdout.count("loss/val/total") == 4
    summary = json.loads((dir2 / "summary.json").read_text())
    assert summary["ds_stats/odd/len"] == 30


def test_resume_under_two_processes_is_exact(tmp_path: Path) -> None:
    # Dropout draws from per-rank RNG streams; a stop between logging steps leaves per-rank running sums.
    ref_cfg = write_config(tmp_path / "ref.yaml", config(tmp_path / "ref", dropout=0.2))
    cfg = write_config(tmp_path / "run.yaml", config(tmp_path / "run", dropout=0.2))
    done = torchrun(ref_cfg)
    assert done.returncode == 0, done.stdout + done.stderr
    [ref] = run_dirs(tmp_path / "ref")

    # Only rank 1 gets SIGTERM, during update 6's callbacks: both ranks must stop after the same update (7).
    signal_cb = "trainer.callbacks[4]"
    done = torchrun(cfg, f"{signal_cb}.at_update=6", f"{signal_cb}.rank=1")
    assert done.returncode != 0, "a signal stop is not a success"
    [run] = run_dirs(tmp_path / "run")
    interrupt = run / "checkpoints" / "E1_U7_S112.signal_interrupt.manifest.json"
    assert interrupt.exists(), done.stdout + done.stderr
    # torchrun reports 1 for workers that exit 75; the run dir tells a job script it was a clean stop.
    marker = json.loads((run / "interrupted.json").read_text())
    assert marker == {"exit_status": 75, "checkpoint": "E1_U7_S112.signal_interrupt"}
    assert not (run / "checkpoints" / "mlp_cp=E3_U12_S192_model.th").exists()
    state = load(run / "checkpoints" / "mlp_cp=E1_U7_S112.signal_interrupt_trainer.th")
    assert len(state["per_rank"]) == 2
    assert not torch.equal(state["per_rank"][0]["rng"]["torch"], state["per_rank"][1]["rng"]["torch"])
    run_id = run.name

    done = torchrun(cfg, f"resume_run_id={run_id}", f"run_id={run_id}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert run_dirs(tmp_path / "run") == [run]  # continued in the same directory
    assert not (run / "interrupted.json").exists()

    assert_nested_equal(weights(run), weights(ref))
    assert_nested_equal(optim_state(run), optim_state(ref))
    ema = "mlp_ema=0.9_cp=last_model.th"
    assert_nested_equal(load(run / "checkpoints" / ema)["state_dict"],
                        load(ref / "checkpoints" / ema)["state_dict"])

    def strip(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in m.items() if not k.startswith(TIMING)} for m in lines]

    assert strip(metrics(run)) == strip(metrics(ref))
