"""The dataset base: samples, property selection, errors, normalization, build_dataset."""

from __future__ import annotations

from typing import Any

import pytest
import torch

import noether
from noether.core.errors import ConfigError
from noether.core.schemas import MeanStdNormalizerConfig
from noether.data.dataset import build_dataset
from noether.data.errors import SampleError
from noether.data.wrappers import select_properties
from tests.data.toys import ARRAYS, MEAN_STD, PLAIN, ArraysConfig, ArraysDataset, PlainDataset

X_NORM = {"x": {"kind": MEAN_STD, "mean": [1.0, 1.0], "std": [3.0, 3.0]}}


def arrays(**fields: Any) -> ArraysConfig:
    return noether.structure({"kind": ARRAYS, **fields}, ArraysConfig)  # type: ignore[no-any-return]


def test_sample_holds_index_and_every_property() -> None:
    ds = PlainDataset(ArraysConfig(kind=PLAIN, size=4))
    assert ds.properties == ("broken", "points")
    sample = ds[2]
    assert list(sample) == ["index", "broken", "points"]
    assert sample["index"] == 2
    torch.testing.assert_close(sample["points"], ds.values[2])


@pytest.mark.parametrize("included, excluded, keys", [
    ({"points"}, None, ["points"]),
    ({"points", "index"}, None, ["index", "points"]),
    (None, {"broken"}, ["index", "points"]),
    (None, {"index"}, ["broken", "points"]),
    ({"points", "broken"}, {"broken"}, ["points"]),
])
def test_property_selection(included: set[str] | None, excluded: set[str] | None, keys: list[str]) -> None:
    config = ArraysConfig(kind=PLAIN, size=3, included_properties=included, excluded_properties=excluded)
    ds = build_dataset(config)
    assert sorted(ds[1]) == keys
    if "index" in keys:
        assert ds[1]["index"] == 1


def test_unselected_properties_are_not_loaded() -> None:
    ds = build_dataset(ArraysConfig(kind=PLAIN, size=3, broken_index=1, excluded_properties={"broken"}))
    assert sorted(ds[1]) == ["index", "points"]


def test_unknown_property_names_dataset_and_property() -> None:
    config = ArraysConfig(kind=PLAIN, included_properties={"pionts"})
    with pytest.raises(AttributeError, match=r"'train' \(PlainDataset\) has no property 'pionts' \(did you mean "
                                             r"'points'\?\); its properties: .*points"):
        build_dataset(config, name="train")
    with pytest.raises(AttributeError, match="nope"):
        build_dataset(ArraysConfig(kind=PLAIN, excluded_properties={"nope"}))


def test_empty_selection_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        select_properties(["a"], None, {"a", "index"}, "'d'")
    with pytest.raises(ConfigError, match="nothing would be loaded"):
        ArraysConfig(kind=PLAIN, included_properties={"a"}, excluded_properties={"a"})


@pytest.mark.parametrize("index, error", [
    ("1", TypeError), (1.0, TypeError), (True, TypeError), (-1, ValueError), (3, IndexError),
])
def test_bad_indices(index: Any, error: type[Exception]) -> None:
    ds = build_dataset(ArraysConfig(kind=PLAIN, size=3), name="val")
    with pytest.raises(error, match="'val'"):
        ds[index]
    view = build_dataset(ArraysConfig(kind=PLAIN, size=3, included_properties={"points"}), name="val")
    with pytest.raises(error, match="'val'"):
        view[index]


def test_numpy_integers_are_accepted() -> None:
    import numpy as np

    ds = PlainDataset(ArraysConfig(kind=PLAIN, size=3))
    assert ds[np.int64(2)]["index"] == 2  # type: ignore[index]


def test_failing_property_names_dataset_property_and_sample() -> None:
    ds = build_dataset(ArraysConfig(kind=PLAIN, size=5, broken_index=3), name="test")
    ds[2]
    with pytest.raises(SampleError, match=r"'test' \(PlainDataset\): .*'broken' of sample 3.*corrupt record") as info:
        ds[3]
    assert (info.value.dataset, info.value.property, info.value.index) == ("'test' (PlainDataset)", "broken", 3)
    assert isinstance(info.value.__cause__, ValueError)


def test_failing_property_through_wrappers_names_the_inner_sample() -> None:
    config = noether.structure({"kind": PLAIN, "size": 5, "broken_index": 3, "wrappers": [
        {"kind": "noether.data.base.wrappers.SubsetWrapper", "start_index": 2}]}, ArraysConfig)
    ds = build_dataset(config, name="test")
    with pytest.raises(SampleError, match="sample 3"):
        ds[1]


def test_decorated_getitem_is_normalized_undecorated_is_not() -> None:
    ds = build_dataset(arrays(normalizers=X_NORM))
    raw = ArraysDataset(arrays(normalizers=X_NORM))
    raw.normalization_enabled = False
    sample, plain = ds[4], raw[4]
    torch.testing.assert_close(sample["x"], (plain["x"] - 1.0) / 3.0)
    torch.testing.assert_close(sample["y"], plain["y"])  # optional normalizer, none configured
    torch.testing.assert_close(sample["raw"], plain["raw"])
    torch.testing.assert_close(ds.denormalize("x", sample["x"]), plain["x"])
    torch.testing.assert_close(ds.denormalize("y", sample["y"]), plain["y"])


def test_list_of_normalizers_is_composed_in_order() -> None:
    ds = build_dataset(arrays(normalizers={"x": [
        {"kind": MEAN_STD, "mean": 1.0, "std": 3.0},
        {"kind": "noether.data.preprocessors.normalizers.ShiftAndScaleNormalizer", "shift": 1.0, "scale": 2.0},
    ]}))
    raw = ds.x[0]
    torch.testing.assert_close(ds[0]["x"], ((raw - 1.0) / 3.0 + 1.0) * 2.0)
    torch.testing.assert_close(ds.denormalize("x", ds[0]["x"]), raw)


def test_missing_required_normalizer_is_reported_at_build_with_known_keys() -> None:
    with pytest.raises(KeyError, match="no normalizer configured for 'x'; configured normalizer keys: y"):
        build_dataset(arrays(normalizers={"y": {"kind": MEAN_STD, "mean": 0.0, "std": 1.0}}))
    ds = ArraysDataset(arrays())  # built directly: the check happens when the sample is loaded (§8.1)
    with pytest.raises(SampleError, match="no normalizer for 'x'"):
        ds[0]


def test_unused_normalizer_key_is_reported() -> None:
    config = arrays(normalizers={**X_NORM, "z": {"kind": MEAN_STD, "mean": 0.0, "std": 1.0}})
    with pytest.raises(ValueError, match="'z' matches no normalized property of dataset 'ArraysDataset'; "
                                         "normalized keys: x, y"):
        build_dataset(config)


def test_a_misspelt_normalizer_key_is_a_config_problem_at_its_path() -> None:
    config = arrays(normalizers={**X_NORM, "xx": {"kind": MEAN_STD, "mean": 0.0, "std": 1.0}})
    with pytest.raises(ConfigError) as caught:
        build_dataset(config, name="train")
    [issue] = caught.value.issues
    assert issue.path == ("datasets", "train", "normalizers", "xx")
    assert "normalizer key 'xx' (did you mean 'x'?) matches no normalized property" in issue.message


def test_shared_normalizers_fill_in_keys_the_dataset_uses() -> None:
    shared = {"x": [MeanStdNormalizerConfig(mean=0.0, std=2.0)], "other": [MeanStdNormalizerConfig(mean=0.0, std=1.0)]}
    ds = build_dataset(arrays(), normalizers=shared)
    torch.testing.assert_close(ds[0]["x"], ds.x[0] / 2.0)
    own = build_dataset(arrays(normalizers=X_NORM), normalizers=shared)  # the dataset's own config wins
    torch.testing.assert_close(own[0]["x"], (own.x[0] - 1.0) / 3.0)


def test_normalize_false_returns_raw_values_even_without_normalizers() -> None:
    ds = build_dataset(arrays(), normalize=False)
    torch.testing.assert_close(ds[0]["x"], ds.x[0])


def test_denormalize_unknown_key_is_an_error() -> None:
    ds = build_dataset(arrays(normalizers=X_NORM))
    with pytest.raises(KeyError, match="surface_presure"):
        ds.denormalize("surface_presure", torch.zeros(1))


def test_statistics_are_stored_on_the_dataset() -> None:
    ds = build_dataset(arrays(normalizers=X_NORM), statistics={"x_mean": [1.0, 1.0]})
    assert ds.statistics == {"x_mean": [1.0, 1.0]}


def test_pipeline_problems_are_found_when_the_config_is_validated() -> None:
    with pytest.raises(ConfigError) as info:
        arrays(normalizers=X_NORM, pipeline={"kind": "noether.data.PointSampling", "items": ["x"]})
    assert [i.dotted_path for i in info.value.issues] == ["pipeline.num_points"]
