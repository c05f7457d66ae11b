"""Training on the CFD store through the batched path: the weights of the per-sample path, and a bit-exact resume.

Real runs of the CFD trainer (in process) on a store written by the plugin's converter: normalizers, a
shuffled repeated split, random per-epoch supernode and point sampling seeded by the run, padding, gradient
accumulation and a checkpoint every update.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import noether
from noether.training.runner import run
from tests.cfd.store_batched import CountingCfdStore, write_ellipsoid_store
from tests.cfd.test_store_batched import NORMALIZERS, WRAPPERS, pipeline
from tests.data.test_batched_resume import assert_same_weights, final_weights

UPDATES = 10
BATCHED = "tests.cfd.store_batched.CountingCfdStore"
PER_SAMPLE = "tests.cfd.store_batched.PerSampleCfdStore"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ellipsoid_store(tmp_path_factory.mktemp("store") / "ellipsoids", 8, ragged=True)


def config(store: Path, output: Path, kind: str, **changes: Any) -> Any:
    # The ragged store's samples have 162 - 9 i surface points: the dataset reads the first 120 of each (all
    # have them), the pipeline draws 50 of those per epoch and sample.
    train = {"kind": kind, "root": str(store), "split": "train", "surface_points": 120, "normalizers": NORMALIZERS,
             "wrappers": WRAPPERS, "pipeline": pipeline(), "excluded_properties": ["surface_normal"]}
    return noether.structure({
        "output_path": str(output), "store_code_in_output": False, "seed": 2, "accelerator": "cpu",
        "datasets": {"train": train},
        "model": {"kind": "tests.cfd.store_batched.EllipsoidPointMLP", "name": "mlp",
                  "optimizer_config": {"kind": "torch.optim.AdamW", "lr": 0.01}},
        "trainer": {"kind": "noether_cfd.CfdTrainer", "max_updates": UPDATES, "effective_batch_size": 4,
                    "max_batch_size": 2, "target_properties": ["surface_pressure", "volume_velocity"],
                    "callbacks": [{"name": "CheckpointCallback", "every_n_updates": 1, "save_weights": False}]},
        **changes,
    })


def test_batched_store_training_equals_per_sample_training_and_resumes_bit_exactly(
    store: Path, tmp_path: Path
) -> None:
    CountingCfdStore.batch_sizes.clear()
    batched = run(config(store, tmp_path / "batched", BATCHED, run_id="full"))
    assert CountingCfdStore.batch_sizes.count(2) >= 2 * UPDATES  # every micro-batch of 2 came as one batch
    per_sample = run(config(store, tmp_path / "per_sample", PER_SAMPLE, run_id="full"))
    assert batched.update == per_sample.update == UPDATES
    reference = final_weights(batched.run_dir)
    assert_same_weights(reference, final_weights(per_sample.run_dir))

    # Stopped in the second epoch (3 updates per epoch of 12 repeated samples), resumed from its checkpoint.
    cut = run(config(store, tmp_path / "cut", BATCHED, run_id="c"), interrupt_at_update=5)
    assert cut.interrupted and cut.update == 5
    resumed = run(config(store, tmp_path / "cut", BATCHED, run_id="c", resume_run_id="c"))
    assert resumed.update == UPDATES
    assert_same_weights(reference, final_weights(resumed.run_dir))
