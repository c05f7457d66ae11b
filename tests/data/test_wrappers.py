"""Wrappers: §8.3 index maps, order of application, transparency."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import noether
from noether.core.errors import ConfigError
from noether.core.schemas import RepeatWrapperConfig, ShuffleWrapperConfig, SubsetWrapperConfig
from noether.data.dataset import build_dataset
from noether.data.wrappers import RepeatWrapper, ShuffleWrapper, SubsetWrapper, subset_indices
from tests.data.toys import PLAIN, ArraysConfig, PlainDataset


def plain(size: int = 10) -> PlainDataset:
    return PlainDataset(ArraysConfig(kind=PLAIN, size=size))


def points_of(ds: Any) -> list[int]:
    # Each sample's first value identifies it: sample i holds values i*6 ...
    return [int(ds[i]["points"][0, 0]) // 6 for i in range(len(ds))]


@pytest.mark.parametrize("fields, expected", [
    ({"start_index": 7}, [7, 8, 9]),
    ({"end_index": 15}, list(range(10))),
    ({"start_percent": 0.7}, [7, 8, 9]),
    ({"start_percent": 0.2, "end_percent": 0.5}, [2, 3, 4]),
    ({"start_index": 2, "end_index": 5}, [2, 3, 4]),
    ({"end_index": 0}, []),
    ({"start_index": 0, "end_index": 0}, []),
    ({"indices": [9, 0, 4]}, [9, 0, 4]),
])
def test_subset_examples_on_ten_samples(fields: dict[str, Any], expected: list[int]) -> None:
    assert subset_indices(SubsetWrapperConfig(**fields), 10).tolist() == expected
    view = SubsetWrapper(SubsetWrapperConfig(**fields), dataset=plain())
    assert len(view) == len(expected)
    assert points_of(view) == expected


@pytest.mark.parametrize("fields", [
    {"indices": [1], "start_index": 0},
    {"start_index": 1, "end_percent": 0.5},
    {},
    {"start_index": 5, "end_index": 2},
    {"start_percent": 0.5, "end_percent": 0.5},
])
def test_subset_config_rejects_ambiguous_or_empty_modes(fields: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        SubsetWrapperConfig(**fields)


def test_subset_errors_at_construction() -> None:
    with pytest.raises(IndexError, match="out of range"):
        SubsetWrapper(SubsetWrapperConfig(indices=[3, 10]), dataset=plain())
    with pytest.raises(ValueError, match="past end_index"):
        SubsetWrapper(SubsetWrapperConfig(start_index=12), dataset=plain())


def test_repeat_is_round_robin_and_rejects_empty() -> None:
    view = RepeatWrapper(RepeatWrapperConfig(repetitions=3), dataset=plain(4))
    assert points_of(view) == [0, 1, 2, 3] * 3
    empty = SubsetWrapper(SubsetWrapperConfig(end_index=0), dataset=plain(4))
    with pytest.raises(ValueError, match="empty"):
        RepeatWrapper(RepeatWrapperConfig(repetitions=2), dataset=empty)


def test_shuffle_uses_numpy_default_rng() -> None:
    view = ShuffleWrapper(ShuffleWrapperConfig(seed=5), dataset=plain())
    expected = np.arange(10)
    np.random.default_rng(5).shuffle(expected)
    assert points_of(view) == expected.tolist()
    assert sorted(points_of(view)) == list(range(10))


def test_shuffle_without_seed_follows_the_torch_seed() -> None:
    torch.manual_seed(11)
    first = ShuffleWrapper(ShuffleWrapperConfig(), dataset=plain(50)).indices.tolist()
    torch.manual_seed(11)
    again = ShuffleWrapper(ShuffleWrapperConfig(), dataset=plain(50)).indices.tolist()
    torch.manual_seed(12)
    other = ShuffleWrapper(ShuffleWrapperConfig(), dataset=plain(50)).indices.tolist()
    assert first == again != other


def test_build_with_a_seed_ignores_and_keeps_the_global_rng() -> None:
    config = ArraysConfig(kind=PLAIN, size=30, dataset_wrappers=[ShuffleWrapperConfig()])
    torch.manual_seed(1)
    expected_next = torch.rand(1)
    torch.manual_seed(1)
    first = build_dataset(config, seed=7).indices.tolist()
    assert torch.initial_seed() == 1
    assert torch.equal(torch.rand(1), expected_next)  # the global stream is untouched
    torch.manual_seed(2)  # e.g. another rank (seed + rank)
    assert build_dataset(config, seed=7).indices.tolist() == first
    assert build_dataset(config, seed=8).indices.tolist() != first


def test_wrappers_apply_in_list_order_from_yaml() -> None:
    config = noether.structure(
        {"kind": PLAIN, "size": 10, "wrappers": [
            {"kind": "noether.data.base.wrappers.SubsetWrapper", "start_index": 7},
            {"kind": "noether.data.base.wrappers.RepeatWrapper", "repetitions": 2},
        ]},
        ArraysConfig,
    )
    ds = build_dataset(config)
    assert points_of(ds) == [7, 8, 9, 7, 8, 9]
    swapped = noether.structure(
        {"kind": PLAIN, "size": 10, "wrappers": [
            {"kind": "noether.data.base.wrappers.RepeatWrapper", "repetitions": 2},
            {"kind": "noether.data.base.wrappers.SubsetWrapper", "start_index": 7},
        ]},
        ArraysConfig,
    )
    assert points_of(build_dataset(swapped)) == [7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]


def test_wrappers_forward_attributes_and_remap_getitems() -> None:
    inner = plain()
    inner.custom = "hello"  # type: ignore[attr-defined]
    view = RepeatWrapper(RepeatWrapperConfig(repetitions=2),
                         dataset=SubsetWrapper(SubsetWrapperConfig(start_index=6), dataset=inner))
    assert view.custom == "hello"
    assert view.properties == inner.properties
    for i in range(len(view)):
        torch.testing.assert_close(view.getitem_points(i), view[i]["points"])
        torch.testing.assert_close(view.getter("points")(i), view[i]["points"])
    assert view.root_dataset is inner
    assert view.collate_fn is inner.collate_fn


def test_index_key_is_the_outer_index_and_bounds_are_checked() -> None:
    view = SubsetWrapper(SubsetWrapperConfig(start_index=5), dataset=plain())
    assert [view[i]["index"] for i in range(len(view))] == [0, 1, 2, 3, 4]
    with pytest.raises(IndexError, match="SubsetWrapper"):
        view[5]
    with pytest.raises(ValueError):
        view[-1]
    with pytest.raises(TypeError):
        view["0"]  # type: ignore[index]
