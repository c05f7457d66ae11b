"""The batched data path gives exactly the batches of the per-sample path, and fails with per-sample messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import noether
from noether.core.schemas import AnyDatasetConfig, DatasetBaseConfig
from noether.core.schemas.wrappers import ShuffleWrapperConfig
from noether.data.arrays import ArrayDataset, gather_rows, row
from noether.data.batch import BatchLoadError, SampleBatch
from noether.data.collators import ConcatCollator, PadCollator
from noether.data.dataset import Dataset, build_dataset, with_normalizers
from noether.data.errors import SampleError
from noether.data.pipeline import Pipeline
from noether.data.processors import Processor
from noether.data.schemas import ConcatCollatorConfig, PadCollatorConfig
from noether.data.wrappers import DatasetWrapper, PropertySubsetWrapper, ShuffleWrapper
from tests.data.batched_toys import BATCHED, PER_SAMPLE, BatchedClouds, CloudsConfig, GatherCounting
from tests.data.toys import MEAN_STD

NORMALIZERS = {
    "x": {"kind": MEAN_STD, "mean": [0.5, 0.4, 0.6], "std": [2.0, 1.9, 2.1]},
    "y": [{"kind": MEAN_STD, "mean": 0.1, "std": 0.7, "logscale": True},
          {"kind": "noether.data.preprocessors.normalizers.ShiftAndScaleNormalizer", "shift": 1.0, "scale": 2.0}],
}
PIPELINE = {
    "kind": "noether.data.Pipeline",
    "sample_processors": [
        {"kind": "noether.data.PointSampling", "items": ["x", "y"], "num_points": 4},  # seeded by the run
        {"kind": "RenameKeys", "mapping": {"label": "target"}},
        {"kind": "DuplicateKeys", "mapping": {"x": "x_copy"}},
    ],
}
WRAPPERS = [
    {"kind": "noether.data.base.wrappers.RepeatWrapper", "repetitions": 2},
    {"kind": "noether.data.base.wrappers.ShuffleWrapper", "seed": 11},
]


def built(kind: str, **fields: Any) -> Any:
    config = noether.structure({"kind": kind, "normalizers": NORMALIZERS, "pipeline": PIPELINE,
                                "wrappers": WRAPPERS, **fields}, AnyDatasetConfig)
    return build_dataset(config, name="train", seed=5)


def assert_same_batch(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert list(a) == list(b)  # same keys, same order
    for key in a:
        assert type(a[key]) is type(b[key]), key
        if isinstance(a[key], torch.Tensor):
            assert a[key].dtype == b[key].dtype and a[key].shape == b[key].shape, key
            assert torch.equal(a[key], b[key]), key
        else:
            assert a[key] == b[key], key


def loader_batches(dataset: Any, epochs: int, batch_size: int = 6) -> list[dict[str, Any]]:
    batches: list[dict[str, Any]] = []
    for epoch in range(epochs):
        dataset.collate_fn.set_epoch(epoch)
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                            collate_fn=dataset.collate_fn, generator=torch.Generator().manual_seed(epoch))
        batches.extend(loader)
    return batches


def test_batched_and_per_sample_datasets_give_identical_loader_batches() -> None:
    batched, per_sample = built(BATCHED), built(PER_SAMPLE)
    assert isinstance(batched.__getitems__([0, 1]), SampleBatch)
    assert isinstance(per_sample.__getitems__([0, 1]), list)
    a, b = loader_batches(batched, epochs=2), loader_batches(per_sample, epochs=2)
    assert len(a) == len(b) == 2 * (80 // 6)
    for batch_a, batch_b in zip(a, b, strict=True):
        assert_same_batch(batch_a, batch_b)
    assert list(a[0]) == ["index", "tag", "x", "y", "target", "x_copy"]
    assert a[0]["x"].shape == (6, 4, 3)
    assert not torch.equal(a[0]["x"], a[len(a) // 2]["x"])  # epochs differ (order and points)


def test_one_dataset_gives_the_same_batch_by_column_and_sample_by_sample() -> None:
    dataset = built(BATCHED)
    indices = [7, 0, 79, 7, 33]
    for epoch in (0, 3):
        dataset.collate_fn.set_epoch(epoch)
        by_column = dataset.collate_fn(dataset.__getitems__(indices))
        by_sample = dataset.collate_fn([dataset[i] for i in indices])
        assert_same_batch(by_column, by_sample)
        assert by_column["index"].tolist() == indices  # the index asked of the outermost view


def test_batched_dataset_reads_no_single_samples() -> None:
    config = noether.structure({"kind": "tests.data.batched_toys.GatherCounting", "pipeline": PIPELINE,
                                "wrappers": WRAPPERS}, AnyDatasetConfig)
    dataset = build_dataset(config, name="train", seed=5)
    GatherCounting.single_reads = 0
    batches = loader_batches(dataset, epochs=1)
    # One read in all: the first batch's first sample, the reference its batch loader's rows are checked against.
    assert len(batches) > 1 and GatherCounting.single_reads == 1
    dataset[3]
    assert GatherCounting.single_reads == 2


def test_property_selection_serves_batches() -> None:
    batched = built(BATCHED, excluded_properties=["tag"], pipeline=None)
    per_sample = built(PER_SAMPLE, excluded_properties=["tag"], pipeline=None)
    result = batched.__getitems__([4, 2])
    assert isinstance(result, SampleBatch) and list(result.columns) == ["index", "label", "x", "y"]
    assert_same_batch(batched.collate_fn(result), per_sample.collate_fn(per_sample.__getitems__([4, 2])))


def test_batch_with_a_failing_sample_names_the_sample() -> None:
    dataset = BatchedClouds(CloudsConfig(kind=BATCHED, size=5))
    with pytest.raises(IndexError, match="out of range"):
        dataset.__getitems__([1, 5])
    dataset.arrays["x"] = dataset.arrays["x"][:4]  # sample 4 has no x any more
    with pytest.raises(SampleError, match="property 'x' of sample 4"):
        dataset.__getitems__([0, 4])


def test_batch_loader_that_disagrees_with_its_samples_is_named() -> None:
    class WrongShape(BatchedClouds):
        @with_normalizers(required=False)
        def getitems_label(self, indices: list[int]) -> torch.Tensor:
            return torch.zeros(len(indices) + 1, 1)

    dataset = WrongShape(CloudsConfig(kind=BATCHED, size=5))
    with pytest.raises(BatchLoadError, match="getitems_label returned a tensor of shape"):
        dataset.__getitems__([0, 1])


def test_batch_loader_needs_its_per_sample_twin_alike() -> None:
    class Orphan(Dataset):
        def __len__(self) -> int:
            return 1

        def getitems_x(self, indices: list[int]) -> torch.Tensor:
            return torch.zeros(len(indices))

    with pytest.raises(TypeError, match="getitems_x has no per-sample getitem_x"):
        Orphan(CloudsConfig(kind=BATCHED)).properties  # noqa: B018

    class Unnormalized(BatchedClouds):
        def getitem_x(self, idx: int) -> torch.Tensor:
            return row(self.arrays["x"], idx)

    with pytest.raises(TypeError, match="normalized differently"):
        Unnormalized(CloudsConfig(kind=BATCHED)).properties  # noqa: B018


def test_wrapper_that_changes_samples_is_fetched_sample_by_sample() -> None:
    class Doubling(DatasetWrapper):
        def __getitem__(self, idx: int) -> dict[str, Any]:
            sample = self.dataset[idx]
            sample["label"] = sample["label"] * 2
            return sample

    base = BatchedClouds(CloudsConfig(kind=BATCHED, size=6))
    wrapped = Doubling(None, base)
    result = wrapped.__getitems__([1, 2])
    assert isinstance(result, list) and [float(s["label"]) for s in result] == [2.0, 4.0]
    shuffled = ShuffleWrapper(ShuffleWrapperConfig(seed=1), wrapped)
    assert [float(s["label"]) for s in shuffled.__getitems__([0, 1])] == [
        float(shuffled[0]["label"]), float(shuffled[1]["label"])]


def test_wrapped_batch_loaders_are_remapped() -> None:
    dataset = built(BATCHED)
    torch.testing.assert_close(dataset.getitems_x([3, 1]), torch.stack([dataset.getitem_x(3), dataset.getitem_x(1)]),
                               rtol=0, atol=0)
    assert dataset.batch_getter("tag") is None


class MemoryMapped(ArrayDataset):
    """Arrays memory-mapped from ``.npy`` files."""

    array_properties = {"field": "A field ``(4, 2)``."}

    def __init__(self, config: Any, root: Path) -> None:
        super().__init__(config, {"field": np.load(root / "field.npy", mmap_mode="r")})


def test_memory_mapped_rows_gather_as_they_read(tmp_path: Path) -> None:
    values = np.random.default_rng(0).normal(size=(9, 4, 2)).astype(np.float32)
    np.save(tmp_path / "field.npy", values)
    dataset = MemoryMapped(CloudsConfig(kind=BATCHED), tmp_path)
    assert len(dataset) == 9
    mapped = dataset.arrays["field"]
    gathered = gather_rows(mapped, [8, 0, 8])
    assert torch.equal(gathered, torch.stack([row(mapped, 8), row(mapped, 0), row(mapped, 8)]))
    assert torch.equal(gathered, torch.from_numpy(values[[8, 0, 8]]))
    batch = dataset.collate_fn(dataset.__getitems__([2, 5]))
    assert torch.equal(batch["field"], torch.from_numpy(values[[2, 5]]))
    batch["field"].add_(1)  # a batch is the caller's to change: the file's rows are untouched
    assert torch.equal(row(mapped, 2), torch.from_numpy(values[2]))


def test_concat_and_pad_collators_give_the_per_sample_result_on_columns() -> None:
    dataset = BatchedClouds(CloudsConfig(kind=BATCHED, size=5, points=3))
    indices = [4, 1, 3]
    for collator in (ConcatCollator(ConcatCollatorConfig(items=["x", "y"])),
                     PadCollator(PadCollatorConfig(items=["x", "y"], pad_value=-1.0))):
        columns = dataset.__getitems__(indices)
        assert isinstance(columns, SampleBatch)
        by_column = collator.collate_columns(columns, ["x", "y"])
        by_sample = collator.collate([dataset[i] for i in indices], ["x", "y"])
        assert_same_batch(by_column, by_sample)


def test_sample_batch_is_a_sequence_of_samples_for_other_collate_functions() -> None:
    dataset = BatchedClouds(CloudsConfig(kind=BATCHED, size=5))
    columns = dataset.__getitems__([3, 0])
    assert isinstance(columns, SampleBatch) and len(columns) == 2
    assert columns[0]["index"] == 3 and columns[0]["tag"] == 30
    collated = torch.utils.data.default_collate(columns)  # type: ignore[arg-type]
    expected = torch.utils.data.default_collate([dataset[3], dataset[0]])
    assert_same_batch(collated, expected)


def test_batches_from_worker_processes_equal_the_main_process() -> None:
    dataset = built(BATCHED)
    main = loader_batches(dataset, epochs=1, batch_size=8)
    dataset.collate_fn.set_epoch(0)
    loader = DataLoader(dataset, batch_size=8, shuffle=True, drop_last=True, collate_fn=dataset.collate_fn,
                        generator=torch.Generator().manual_seed(0), num_workers=2)
    for batch_a, batch_b in zip(main, loader, strict=True):
        assert_same_batch(batch_a, batch_b)


def test_normalizer_failing_on_a_batch_names_the_sample() -> None:
    position = {"kind": "noether.data.preprocessors.normalizers.PositionNormalizer",
                "raw_pos_min": [-100.0, -100.0, -100.0], "raw_pos_max": [100.0, 100.0, 100.0]}
    config = noether.structure({"kind": BATCHED, "size": 6, "normalizers": {"x": position}}, AnyDatasetConfig)
    dataset = build_dataset(config, name="train")
    assert dataset.collate_fn(dataset.__getitems__([0, 5]))["x"].shape == (2, 10, 3)  # a batch in range
    dataset.arrays["x"] = dataset.arrays["x"].clone()
    dataset.arrays["x"][4, 2, 0] = 1e3  # sample 4 leaves the box
    with pytest.raises(SampleError, match=r"'train'.*property 'x' of sample 4.*outside"):
        dataset.__getitems__([0, 4, 5])


def test_a_batch_loader_may_return_numpy_arrays_as_its_samples_may() -> None:
    rows = np.random.default_rng(0).random((10, 4, 3))  # float64, as a sample's NumPy array stays

    @attrs.frozen(kw_only=True)
    class RowsConfig(DatasetBaseConfig):
        pass

    class NumpyRows(Dataset):
        config_class = RowsConfig

        def __len__(self) -> int:
            return len(rows)

        def getitem_x(self, idx: int) -> np.ndarray:
            return rows[idx]

        def getitems_x(self, indices: list[int]) -> np.ndarray:
            return rows[indices]

        def getitem_count(self, idx: int) -> np.ndarray:
            return np.array([idx, 2 * idx])

        def getitems_count(self, indices: list[int]) -> np.ndarray:
            return np.stack([np.array(indices), 2 * np.array(indices)], axis=1)

        def getitem_window(self, idx: int) -> np.ndarray:
            return rows[idx, :2]

        def getitems_window(self, indices: list[int]) -> np.ndarray:
            return rows[indices[0]:indices[0] + len(indices), :2]  # a view of the rows (consecutive indices)

        def getitem_name(self, idx: int) -> str:
            return f"row {idx}"

        def getitems_name(self, indices: list[int]) -> tuple[str, ...]:
            return tuple(f"row {i}" for i in indices)  # a tuple: one value per sample, as a list

    dataset = NumpyRows(RowsConfig(kind="tests.NumpyRows"))
    served = dataset.__getitems__([3, 4, 5])
    assert isinstance(served, SampleBatch) and served.is_batched("x") and served.is_batched("window")
    batched = dataset.collate_fn(served)
    per_sample = dataset.collate_fn([dataset[i] for i in [3, 4, 5]])
    assert_same_batch(batched, per_sample)
    assert batched["x"].dtype == torch.float64 and batched["count"].dtype == torch.int64
    assert batched["name"] == ["row 3", "row 4", "row 5"]
    batched["window"].add_(1.0)  # a model changing its input in place leaves the data set as it was
    assert torch.equal(torch.from_numpy(rows[3:6, :2]), per_sample["window"])


@attrs.frozen(kw_only=True)
class _RowsConfig(DatasetBaseConfig):
    """No settings: the rows datasets below are fixed."""


class _FloatRows(Dataset):
    """Three-feature float32 samples with a batch loader whose rows the tests get wrong on purpose."""

    config_class = _RowsConfig

    def __len__(self) -> int:
        return 10

    def getitem_x(self, idx: int) -> torch.Tensor:
        return torch.full((3,), float(idx))

    def getitems_x(self, indices: list[int]) -> torch.Tensor:
        return torch.stack([self.getitem_x(i) for i in indices])


def test_a_batch_loader_whose_rows_are_not_its_samples_shape_is_named_with_its_source_line() -> None:
    class FourFeatures(_FloatRows):
        def getitems_x(self, indices: list[int]) -> torch.Tensor:
            return torch.zeros(len(indices), 4)

    dataset = FourFeatures(_RowsConfig(kind="tests.FourFeatures"))
    with pytest.raises(BatchLoadError) as caught:
        dataset.__getitems__([3, 1, 4])
    text = str(caught.value)
    assert "getitems_x returned rows of shape (4,) and dtype float32" in text
    assert "getitem_x(3) returns shape (3,) and dtype float32" in text
    line = FourFeatures.getitems_x.__code__.co_firstlineno
    assert f"test_batched.py:{line}" in text and "noether verify-batches" in text


def test_a_batch_loader_of_another_dtype_than_its_samples_is_named() -> None:
    class Doubles(_FloatRows):
        def getitems_x(self, indices: list[int]) -> np.ndarray:
            return np.stack([np.full(3, float(i)) for i in indices])  # float64, its samples float32

    dataset = Doubles(_RowsConfig(kind="tests.Doubles"))
    with pytest.raises(BatchLoadError, match=r"rows of shape \(3,\) and dtype float64.*getitem_x\(7\) returns "
                                             r"shape \(3,\) and dtype float32"):
        dataset.__getitems__([7, 2])


def test_batch_loaders_are_compared_with_one_sample_once_per_dataset() -> None:
    dataset = GatherCounting(CloudsConfig(kind=BATCHED, size=20))
    GatherCounting.single_reads = 0
    for start in range(0, 20, 4):
        dataset.__getitems__(list(range(start, start + 4)))
    assert GatherCounting.single_reads == 1  # the first batch's first sample, as the reference
    selected = PropertySubsetWrapper(GatherCounting(CloudsConfig(kind=BATCHED, size=20)), {"x", "index"})
    GatherCounting.single_reads = 0
    selected.__getitems__([5, 6])
    selected.__getitems__([7, 8])
    assert GatherCounting.single_reads == 1


def test_a_property_selection_checks_its_batch_loaders_too() -> None:
    class FourFeatures(_FloatRows):
        def getitems_x(self, indices: list[int]) -> torch.Tensor:
            return torch.zeros(len(indices), 4)

    selected = PropertySubsetWrapper(FourFeatures(_RowsConfig(kind="tests.FourFeatures")), {"x"})
    with pytest.raises(BatchLoadError, match=r"getitems_x returned rows of shape \(4,\)"):
        selected.__getitems__([0, 1])


class _ReturnsColumns(Processor):
    """A plugin processor whose batched form returns the column dict instead of the batch (a mistake)."""

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        return sample

    def process_batch(self, batch: SampleBatch) -> Any:
        return batch.columns


class _DropsASample(_ReturnsColumns):
    """Its batched form drops the last sample (per-sample processors cannot drop samples)."""

    def process_batch(self, batch: SampleBatch) -> Any:
        return SampleBatch({k: v[:-1] for k, v in batch.columns.items()}, batch.size - 1)


@pytest.mark.parametrize(("processor", "error", "message"), [
    (_ReturnsColumns(), TypeError, r"sample processor 0 \(_ReturnsColumns\): process_batch \(at .*test_batched\.py:"
                                   r"\d+\) returned a dict; it must return the SampleBatch it processed, or None"),
    (_DropsASample(), ValueError, r"sample processor 0 \(_DropsASample\): process_batch \(at .*test_batched\.py:\d+\) "
                                  r"returned 2 samples for 3"),
])
def test_a_batched_processor_returning_another_thing_than_its_batch_is_named(
    processor: Processor, error: type[Exception], message: str,
) -> None:
    dataset = BatchedClouds(CloudsConfig(kind=BATCHED, size=5))
    pipeline = Pipeline(sample_processors=[processor])
    with pytest.raises(error, match=message):
        pipeline(dataset.__getitems__([0, 1, 2]))
