"""The training stream without a DataLoader in the main process: the same batches, order, resume and errors.

With ``num_workers == 0`` on CPU, :class:`~noether.training.loading.Loaders` feeds the batch sampler's indices
straight to ``dataset.__getitems__`` and the collator; with workers it keeps torch's ``DataLoader``. Both are
compared here on a shuffled, repeated dataset with normalizers and seeded per-sample point sampling (batched
and per-sample loaders), batch by batch, and by training: the final weights of a run through each path and of
a run stopped in its second epoch and resumed through the other path are bit-identical.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

import pytest
import torch

import noether
from noether.core.schemas import AnyDatasetConfig
from noether.data.dataset import build_dataset
from noether.training.batching import BatchPlan
from noether.training.context import RunContext
from noether.training.loading import Loaders, fetcher
from noether.training.runner import run
from tests.data.batched_toys import BATCHED, PER_SAMPLE
from tests.data.test_batched import NORMALIZERS, PIPELINE, WRAPPERS, assert_same_batch
from tests.data.test_batched_resume import assert_same_weights, final_weights
from tests.engine.helpers import build, toy_config

UPDATES = 14


def loaders(tmp_path: Path, kind: str, num_workers: int = 0, **fields: Any) -> Loaders:
    config = noether.structure({"kind": kind, "size": 20, "normalizers": NORMALIZERS, "pipeline": PIPELINE,
                                "wrappers": WRAPPERS, **fields}, AnyDatasetConfig)
    dataset = build_dataset(config, name="train", seed=5)
    context = RunContext(run_dir=tmp_path, run_id="r", datasets={"train": dataset}, train_dataset_key="train",
                         device=torch.device("cpu"), seed=5, num_workers=num_workers)
    # 40 samples (20 repeated twice), 8 per update in 2 micro-batches of 4: 5 updates per epoch.
    return Loaders(context, BatchPlan(4, 2), effective_batch_size=8, updates_per_epoch=5)


def through_dataloader(loaders: Loaders, start_update: int) -> Any:
    """``Loaders.training_batches`` as it was: one DataLoader per epoch, whatever the number of workers."""
    update, upe = start_update, loaders.updates_per_epoch
    while True:
        epoch = update // upe
        loaders.train_dataset.collate_fn.set_epoch(epoch)
        yield from loaders.epoch_loader(update)
        update = (epoch + 1) * upe


@pytest.mark.parametrize("kind", [BATCHED, PER_SAMPLE])
@pytest.mark.parametrize("start_update", [0, 3, 7])
def test_the_main_process_path_gives_the_dataloaders_batches(tmp_path: Path, kind: str, start_update: int) -> None:
    direct = loaders(tmp_path, kind)
    assert direct.in_main_process
    micro_batches = 3 * 5 * 2  # three epochs
    ours = list(itertools.islice(direct.training_batches(start_update), micro_batches))
    theirs = list(itertools.islice(through_dataloader(loaders(tmp_path, kind), start_update), micro_batches))
    assert len(ours) == len(theirs) == micro_batches
    for a, b in zip(ours, theirs, strict=True):
        assert_same_batch(a, b)
    # The order really is shuffled and differs between epochs (so the comparison above means something).
    assert not torch.equal(ours[0]["index"], ours[10]["index"])


def test_a_worker_process_gives_the_same_batches(tmp_path: Path) -> None:
    with_worker = loaders(tmp_path, BATCHED, num_workers=1)
    assert not with_worker.in_main_process
    theirs = list(itertools.islice(with_worker.training_batches(3), 14))
    ours = list(itertools.islice(loaders(tmp_path, BATCHED).training_batches(3), 14))
    for a, b in zip(ours, theirs, strict=True):
        assert_same_batch(a, b)


def test_batch_loaders_are_checked_once_in_the_main_process_not_in_every_epochs_workers(tmp_path: Path) -> None:
    # Workers are copies of the dataset made anew each epoch: a check at their first batch would read a sample
    # per worker and epoch. The loader checks once, in the main process, before the first workers start.
    log = tmp_path / "reads.txt"
    with_workers = loaders(tmp_path, "tests.data.batched_toys.LoggedReads", num_workers=2, log=str(log))
    batches = list(itertools.islice(with_workers.training_batches(0), 3 * 5 * 2))  # three epochs
    assert len(batches) == 30
    assert log.read_text().split() == [str(os.getpid())]


def test_errors_are_the_dataloaders(tmp_path: Path) -> None:
    dataset = loaders(tmp_path, PER_SAMPLE).train_dataset
    messages = []
    for fetch in (fetcher(dataset), lambda indices: next(iter(torch.utils.data.DataLoader(
            dataset, batch_sampler=[indices], collate_fn=dataset.collate_fn)))):
        with pytest.raises(Exception) as info:
            fetch([1, 40])  # 40 samples: index 40 is out of range
        messages.append((type(info.value), str(info.value)))
    assert messages[0] == messages[1]
    assert "40" in messages[0][1]


def test_a_dataset_without_getitems_and_collator_is_fetched_as_torch_does() -> None:
    samples = [{"a": torch.tensor([float(i)]), "b": i} for i in range(10)]
    fetch = fetcher(samples)  # a plain list: no __getitems__, no collate_fn
    batch = fetch([4, 2, 7])
    expected = torch.utils.data.default_collate([samples[4], samples[2], samples[7]])
    assert torch.equal(batch["a"], expected["a"]) and torch.equal(batch["b"], expected["b"])


def run_config(output: Path, num_workers: int, **changes: Any) -> Any:
    def dataset(size: int) -> dict[str, Any]:
        return {"kind": BATCHED, "size": size, "normalizers": NORMALIZERS, "wrappers": WRAPPERS, "pipeline": {
            "kind": "noether.data.Pipeline",
            "sample_processors": [{"kind": "noether.data.PointSampling", "items": ["x", "y"], "num_points": 4}]}}

    return noether.structure({
        "output_path": str(output), "store_code_in_output": False, "seed": 4, "accelerator": "cpu",
        "num_workers": num_workers, "datasets": {"train": dataset(20)},
        "model": {"kind": "noether.core.models.MLP", "name": "mlp", "input_dim": 3, "output_dim": 1,
                  "hidden_dim": 8, "optimizer_config": {"kind": "torch.optim.AdamW", "lr": 0.01}},
        "trainer": {"kind": "SupervisedTrainer", "max_updates": UPDATES, "effective_batch_size": 8,
                    "max_batch_size": 4, "forward_properties": ["x"], "target_properties": ["y"],
                    "callbacks": [{"name": "CheckpointCallback", "every_n_updates": 1, "save_weights": False}]},
        **changes,
    })


def test_training_through_either_path_and_resuming_across_them_is_bit_exact(tmp_path: Path) -> None:
    main = run(run_config(tmp_path / "main", 0, run_id="full"))
    worker = run(run_config(tmp_path / "worker", 1, run_id="full"))
    assert main.update == worker.update == UPDATES
    reference = final_weights(main.run_dir)
    assert_same_weights(reference, final_weights(worker.run_dir))
    # Stopped in the second epoch through a worker, resumed in the main process (and the other way round).
    for first, then, name in ((1, 0, "w2m"), (0, 1, "m2w")):
        cut = run(run_config(tmp_path / name, first, run_id="c"), interrupt_at_update=7)
        assert cut.interrupted and cut.update == 7
        resumed = run(run_config(tmp_path / name, then, run_id="c", resume_run_id="c"))
        assert resumed.update == UPDATES
        assert_same_weights(reference, final_weights(resumed.run_dir))


def test_the_toy_run_gives_the_same_metrics_through_either_path(tmp_path: Path) -> None:
    data = toy_config(tmp_path, max_epochs=2)
    rows = []
    for workers in (0, 1):
        result = run(build(data, run_id=f"w{workers}", num_workers=workers))
        lines = (result.run_dir / "metrics.jsonl").read_text().splitlines()
        # Wall-clock timings differ from run to run; everything else must be equal.
        rows.append([{k: v for k, v in json.loads(line).items() if not k.startswith("train_time/")}
                     for line in lines])
    assert len(rows[0]) == 8 and rows[0] == rows[1]
    assert all("loss/online/total/U1" in row for row in rows[0])


def test_the_samplers_index_batches_are_its_lists_with_their_tensors() -> None:
    from noether.training.sampler import ResumableBatchSampler

    def sampler() -> ResumableBatchSampler:
        return ResumableBatchSampler(50, effective_batch_size=8, accumulation_steps=2, seed=3, start_update=2,
                                     single_epoch=True)

    lists, batches = list(sampler()), list(sampler().index_batches())
    assert lists == batches and len(lists) == 2 * (50 // 8 - 2)
    for batch in batches:
        assert batch.tensor.dtype == torch.int64 and batch.tensor.tolist() == list(batch) and batch.bound == 50


def test_indices_known_valid_for_a_longer_dataset_are_still_checked() -> None:
    from noether.data.batch import BatchIndices, valid_indices

    trusted = BatchIndices([3, 9], torch.tensor([3, 9]), bound=10)
    assert valid_indices(trusted, 10) is trusted and valid_indices(trusted, 12) is trusted
    # A sampler of a 10-sample dataset feeding a 5-sample one: index 9 is out of range there.
    assert valid_indices(trusted, 5) is None


PLAIN = "tests.data.batched_toys.PlainArrays"


def _plain(wrappers: list[dict[str, Any]] | None = None, pipeline: dict[str, Any] | None = None) -> Any:
    fields: dict[str, Any] = {"kind": PLAIN, "size": 20}
    if wrappers:
        fields["wrappers"] = wrappers
    if pipeline:
        fields["pipeline"] = pipeline
    return build_dataset(noether.structure(fields, AnyDatasetConfig), name="train", seed=5)


def _general(dataset: Any, indices: list[int]) -> Any:
    return dataset.collate_fn(dataset.__getitems__(list(indices)))


@pytest.mark.parametrize("wrappers", [None, WRAPPERS[1:]], ids=["plain", "shuffled"])
def test_a_plain_array_dataset_gathers_finished_batches_equal_to_the_general_path(wrappers: Any) -> None:
    from noether.training.sampler import ResumableBatchSampler

    dataset = _plain(wrappers)
    gathers = getattr(type(dataset), "collated_loader", None) is not None
    assert gathers == (wrappers is None)  # a wrapper's class has none: its index map is never skipped
    fetch = fetcher(dataset)
    sampler = ResumableBatchSampler(len(dataset), effective_batch_size=4, accumulation_steps=1, seed=5)
    for indices in itertools.islice(sampler.index_batches(), 12):
        batch = fetch(indices)
        expected = _general(dataset, indices)
        assert list(batch) == list(expected) == ["index", "x", "y"]
        assert_same_batch(batch, expected)
    # Indices not known to be valid (a plain list) take the general path, which checks them.
    with pytest.raises(IndexError):
        fetch([0, 25])


def test_the_direct_gather_is_only_offered_when_it_equals_the_pipeline() -> None:
    assert _plain().collated_loader() is not None
    stacked_by_hand = {"kind": "noether.data.Pipeline", "collators": [{"kind": "noether.data.PadCollator",
                                                                      "items": ["x"]}]}
    assert _plain(pipeline=stacked_by_hand).collated_loader() is None
    assert built_normalized(BATCHED).collated_loader() is None  # a property without a batch loader


def test_normalized_arrays_are_not_gathered_directly() -> None:
    dataset = built_normalized("tests.data.batched_toys.NormalizedPlainArrays")
    assert dataset.collated_loader() is None
    from noether.training.sampler import ResumableBatchSampler

    sampler = ResumableBatchSampler(len(dataset), effective_batch_size=4, accumulation_steps=1, seed=5)
    indices = next(iter(sampler.index_batches()))
    batch = fetcher(dataset)(indices)
    assert_same_batch(batch, _general(dataset, indices))
    raw = _plain().arrays["x"][indices.tensor]
    assert not torch.equal(batch["x"], raw)  # normalized


def built_normalized(kind: str) -> Any:
    normalizers = {key: value for key, value in NORMALIZERS.items() if key in ("x", "y")}
    config = noether.structure({"kind": kind, "size": 20, "normalizers": normalizers}, AnyDatasetConfig)
    return build_dataset(config, name="train", seed=5)
