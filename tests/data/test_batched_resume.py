"""Training through the batched data path: the weights of the per-sample path, and a bit-exact resume.

Real runs of the trainer (in process): a shuffled, repeated point-cloud dataset with normalizers and seeded
per-sample point sampling, gradient accumulation and a checkpoint every update.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

import noether
import noether.data.dataset
from noether.training.runner import run
from tests.data.batched_toys import BATCHED, PER_SAMPLE
from tests.data.test_batched import NORMALIZERS, WRAPPERS

UPDATES = 14


def config(output: Path, kind: str, **changes: Any) -> Any:
    def dataset(size: int) -> dict[str, Any]:
        return {"kind": kind, "size": size, "normalizers": NORMALIZERS, "wrappers": WRAPPERS, "pipeline": {
            "kind": "noether.data.Pipeline",
            "sample_processors": [{"kind": "noether.data.PointSampling", "items": ["x", "y"], "num_points": 4}]}}

    return noether.structure({
        "output_path": str(output), "store_code_in_output": False, "seed": 4, "accelerator": "cpu",
        "datasets": {"train": dataset(20), "val": dataset(6)},
        "model": {"kind": "noether.core.models.MLP", "name": "mlp", "input_dim": 3, "output_dim": 1,
                  "hidden_dim": 8, "optimizer_config": {"kind": "torch.optim.AdamW", "lr": 0.01}},
        "trainer": {"kind": "SupervisedTrainer", "max_updates": UPDATES, "effective_batch_size": 8,
                    "max_batch_size": 4, "forward_properties": ["x"], "target_properties": ["y"],
                    "callbacks": [{"name": "CheckpointCallback", "every_n_updates": 1, "save_weights": False}]},
        **changes,
    })


def final_weights(run_dir: Path) -> dict[str, torch.Tensor]:
    state: dict[str, torch.Tensor] = torch.load(
        run_dir / "checkpoints" / "mlp_cp=last_model.th", weights_only=True)["state_dict"]
    return state


def assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_batched_training_equals_per_sample_training_and_resumes_bit_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch_loads: list[int] = []
    load_batch = noether.data.dataset.load_batch

    def counted(*args: Any) -> Any:
        batch_loads.append(len(args[2]))
        return load_batch(*args)

    monkeypatch.setattr(noether.data.dataset, "load_batch", counted)  # only counts: the real loader runs
    batched = run(config(tmp_path / "batched", BATCHED, run_id="full"))
    assert batch_loads.count(4) >= 2 * UPDATES  # every micro-batch of 4 went through the batched path
    per_sample = run(config(tmp_path / "per_sample", PER_SAMPLE, run_id="full"))
    assert batched.update == per_sample.update == UPDATES
    reference = final_weights(batched.run_dir)
    assert_same_weights(reference, final_weights(per_sample.run_dir))

    # Stopped in the second epoch (5 updates per epoch of 40 repeated samples), resumed from its checkpoint.
    cut = run(config(tmp_path / "cut", BATCHED, run_id="c"), interrupt_at_update=7)
    assert cut.interrupted and cut.update == 7
    resumed = run(config(tmp_path / "cut", BATCHED, run_id="c", resume_run_id="c"))
    assert resumed.update == UPDATES
    assert_same_weights(reference, final_weights(resumed.run_dir))
