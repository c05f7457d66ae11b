"""``noether verify-batches``: a dataset's batched loading against its samples one by one, through the real CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

import noether
from noether.training.verify_batches import describe_difference, verify_batches
from tests.data.batched_toys import BATCHED

ROOT = Path(__file__).resolve().parents[2]
NORMALIZERS = {"x": {"kind": "noether.data.preprocessors.normalizers.MeanStdNormalization",
                     "mean": [0.5, 0.4, 0.6], "std": [2.0, 1.9, 2.1]}}
PIPELINE: dict[str, Any] = {
    "kind": "noether.data.Pipeline",
    "sample_processors": [{"kind": "noether.data.PointSampling", "items": ["x", "y"], "num_points": 4}],
}


def write_config(tmp_path: Path, kind: str = BATCHED, pipeline: dict[str, Any] | None = None) -> Path:
    dataset = {"kind": kind, "size": 30, "normalizers": NORMALIZERS, "pipeline": pipeline or PIPELINE,
               "wrappers": [{"kind": "noether.data.base.wrappers.RepeatWrapper", "repetitions": 2}]}
    config = {
        "output_path": str(tmp_path / "runs"),
        "datasets": {"train": dataset, "test": {**dataset, "wrappers": None}},
        "model": {"kind": "noether.core.models.MLP", "name": "mlp", "input_dim": 3, "hidden_dim": 8, "output_dim": 1},
        "trainer": {"kind": "SupervisedTrainer", "effective_batch_size": 8, "max_epochs": 3,
                    "forward_properties": ["x"], "target_properties": ["y"]},
    }
    path = tmp_path / "cfg.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")  # (JSON is YAML; PyYAML is no dependency)
    return path


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "noether", "verify-batches", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True)


def test_a_correct_batched_dataset_is_identical_through_every_path(tmp_path: Path) -> None:
    out = cli(write_config(tmp_path), "--batches", "10")  # 10 batches of 8 from 60 samples: into epoch 1
    assert out.returncode == 0, out.stderr
    assert "10 batches (80 samples) through the training path and __getitems__ + collate_fn" in out.stdout
    assert "properties loaded as one tensor per batch: label, x, y" in out.stdout
    assert "IDENTICAL: index, label, tag, x, y" in out.stdout


def test_a_batch_loader_that_mixes_up_samples_is_named_with_the_sample(tmp_path: Path) -> None:
    out = cli(write_config(tmp_path, kind="tests.data.batched_toys.MisalignedClouds"), "--batches", "1")
    assert out.returncode == 1, out.stderr
    assert "\nDIFFERENT (" in out.stdout
    # The dataset stage names each wrong sample (its index in the run's first batch) and property...
    first = ResumableOrder(write_config(tmp_path)).first_batch()
    named = re.findall(r"batch 0 \(epoch 0\), sample (\d+) \(position (\d+)\), __getitems__ against "
                       r"dataset\[\1\]: 'y': 10 of 10 values differ", out.stdout)
    assert named and all(first[int(position)] == int(sample) for sample, position in named)
    # (the repeated data set holds each sample twice: a sample that meets its own copy is right)
    assert len(named) == sum(a % 30 != b % 30 for a, b in zip(first[1:], [*first[2:], first[1]], strict=True))
    # ...and the finished batch names the key and the first wrong sample's position in it.
    assert f"batch 0 (epoch 0), the training path: 'y': {len(named) * 4} of 32 values differ; first at element " \
           f"[{named[0][1]}, 0, 0] (sample at position {named[0][1]} of the batch)" in out.stdout


def test_a_processor_whose_batched_form_differs_is_found_in_the_finished_batch(tmp_path: Path) -> None:
    pipeline = {"kind": "noether.data.Pipeline", "sample_processors": [{"kind": "tests.data.batched_toys.DoubleX"}]}
    out = cli(write_config(tmp_path, pipeline=pipeline), "--batches", "2")
    assert out.returncode == 1, out.stderr
    assert "__getitems__ against" not in out.stdout  # the samples agree: the dataset is right
    assert "batch 0 (epoch 0), the training path: 'x': 30 of 240 values differ; first at element [7, 0, 0] " \
           "(sample at position 7 of the batch)" in out.stdout
    assert "batch 1 (epoch 0), __getitems__ + collate_fn: 'x': " in out.stdout


def test_another_dataset_is_read_in_order_with_its_batch_size(tmp_path: Path) -> None:
    config = noether.structure(json.loads(write_config(tmp_path).read_text()))
    report = verify_batches(config, dataset_key="test", batches=100, batch_size=7)
    assert report.identical, report.text()
    assert (report.batches, report.samples) == (5, 30)  # in order, the last batch short
    assert report.paths == ["__getitems__ + collate_fn"]
    assert list(report.ms_per_batch) == ["__getitems__ + collate_fn", "sample by sample"]
    assert all(ms > 0 for ms in report.ms_per_batch.values())
    assert "ms per batch (these batches, the first one's warm-up included): __getitems__ + collate_fn " in report.text()
    # A path slower than sample by sample reads as a speed-up below 1 (it once read "0.97x faster").
    assert re.search(r"__getitems__ \+ collate_fn [\d.]+ \(speed-up [\d.]+x\), sample by sample [\d.]+$",
                     report.text().splitlines()[2])


def test_a_late_start_reads_that_epochs_batches(tmp_path: Path) -> None:
    config = noether.structure(json.loads(write_config(tmp_path).read_text()))
    torch.manual_seed(123)
    before = torch.get_rng_state()
    report = verify_batches(config, batches=3, start_update=14)  # 7 updates per epoch: the start of epoch 2
    assert report.identical, report.text()
    assert report.batches == 3
    assert torch.equal(torch.get_rng_state(), before)  # the caller's random streams are left alone


@pytest.mark.parametrize(("args", "message"), [
    (["--batches", "0"], "--batches must be at least 1, got 0"),
    (["--start-update", "-1"], "--start-update must be at least 0, got -1"),
    (["--dataset", "nope"], "no dataset 'nope' in "),
])
def test_bad_options_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    out = cli(write_config(tmp_path), *args)
    assert out.returncode == 2
    assert message in out.stderr


def test_the_built_in_example_is_identical() -> None:
    out = cli(ROOT / "examples" / "airfoil.yaml", "--batches", "2")
    assert out.returncode == 0, out.stderr
    assert "IDENTICAL" in out.stdout


def test_differences_name_what_differs() -> None:
    a = torch.tensor([[1.0, float("nan")], [3.0, 4.0]])
    assert describe_difference(a, a.clone(), "batch", 2) is None  # NaN equals NaN
    assert describe_difference(a, a.double(), "batch", 2) == "dtype torch.float32, sample by sample torch.float64"
    assert describe_difference(a, a[:1], "batch", 2) == "shape (2, 2), sample by sample (1, 2)"
    b = a.clone()
    b[1, 0] = 5.0
    assert describe_difference({"k": a}, {"k": b}, "batch", 2) == (
        "'k': 1 of 4 values differ; first at element [1, 0] (sample at position 1 of the batch): 3.0, sample by "
        "sample 5.0; max |difference| 2")
    assert describe_difference({"a": 1, "b": 2}, {"b": 2, "a": 1}, "sample", None) == (
        "the sample has keys ['a', 'b'], sample by sample ['b', 'a']")
    assert describe_difference([1, 2], [1, 3], "sample", None) == "element 1: 2, sample by sample 3"
    assert describe_difference([1], (1,), "sample", None) == "a list, sample by sample a tuple"


class ResumableOrder:
    """The run's first batch of indices, as its sampler draws it (seed 0 is the config's default)."""

    def __init__(self, config_path: Path) -> None:
        self.config = noether.structure(json.loads(config_path.read_text()))

    def first_batch(self) -> list[int]:
        from noether.training.sampler import ResumableBatchSampler

        sampler = ResumableBatchSampler(60, effective_batch_size=8, accumulation_steps=1, seed=self.config.seed)
        return next(iter(sampler))
