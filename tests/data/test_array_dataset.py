"""ArrayDataset's arrays are checked on first use, with messages that name the array and what to give."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np
import pytest
import torch

from noether.core.schemas import DatasetBaseConfig
from noether.data.arrays import ArrayDataset, row


@attrs.frozen(kw_only=True)
class PairConfig(DatasetBaseConfig):
    """Config of :class:`Pair`."""

    kind: str = "tests.data.test_array_dataset.Pair"


class Pair(ArrayDataset):
    """Two declared arrays."""

    config_class = PairConfig
    array_properties: ClassVar[dict[str, str]] = {"a": "A ``(3,)``.", "b": "B ``()``."}
    normalize_arrays = False


class OwnB(Pair):
    """``b`` computed by hand-written accessors: it needs no array."""

    array_properties: ClassVar[dict[str, str]] = {"a": "A ``(3,)``.", "b": "B ``()``."}

    def getitem_b(self, idx: int) -> torch.Tensor:
        """Twice the sample number."""
        return torch.tensor(2.0 * idx)

    def getitems_b(self, indices: list[int]) -> torch.Tensor:
        """Twice the sample numbers."""
        return 2.0 * torch.tensor(indices, dtype=torch.float32)


def length(cls: type[ArrayDataset], **arrays: Any) -> int:
    return len(cls(PairConfig(), arrays))


def test_every_declared_array_must_be_given() -> None:
    with pytest.raises(ValueError, match=r"dataset 'Pair': no array for the declared property 'b' \(array_properties "
                                         r"of Pair\); arrays given: a"):
        length(Pair, a=torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"no array for the declared properties 'a', 'b' .*arrays given: \(none\)"):
        length(Pair)
    dataset = OwnB(PairConfig(), {"a": torch.zeros(4, 3)})  # b is hand-written: no array needed
    assert len(dataset) == 4
    assert dataset[3]["b"] == 6.0 and torch.equal(dataset.collate_fn(dataset.__getitems__([1, 3]))["b"],
                                                  torch.tensor([2.0, 6.0]))


def test_arrays_must_be_tensors_or_numpy_arrays_with_a_sample_dimension() -> None:
    with pytest.raises(TypeError, match=r"array 'a' is a list; give a tensor or a NumPy array \(np.asarray"):
        length(Pair, a=[[1.0, 2.0, 3.0]] * 4, b=torch.zeros(4))
    with pytest.raises(ValueError, match=r"array 'b' is a single number \(shape \(\)\); its first dimension must be "
                                         "the samples"):
        length(Pair, a=torch.zeros(4, 3), b=torch.tensor(1.0))
    with pytest.raises(ValueError, match=r"arrays have different numbers of samples \{'a': 4, 'b': 5\}"):
        length(Pair, a=torch.zeros(4, 3), b=np.zeros(5))
    assert length(Pair, a=np.zeros((4, 3)), b=torch.zeros(4)) == 4  # NumPy and torch side by side


def test_numpy_arrays_must_hold_numbers_or_booleans() -> None:
    with pytest.raises(TypeError, match=r"dataset 'Pair': array 'a' holds NumPy dtype <U1; only numbers and booleans "
                                        r"make tensors \(convert it, e.g. with \.astype\(np\.float32\)\)"):
        length(Pair, a=np.array([["x"] * 3] * 4), b=np.zeros(4))
    with pytest.raises(TypeError, match=r"array 'b' holds NumPy dtype object"):
        length(Pair, a=np.zeros((4, 3)), b=np.array([None] * 4))
    assert length(Pair, a=np.zeros((4, 3), dtype=np.float16), b=np.zeros(4, dtype=bool)) == 4


def test_array_properties_must_be_a_mapping_of_names_to_descriptions() -> None:
    with pytest.raises(TypeError, match=r"Listed\.array_properties must map each property name to a one-line "
                                        r"description \(\{'a': '\.\.\.'\}\); got a list"):
        class Listed(ArrayDataset):
            array_properties = ["a"]  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"Unnamed\.array_properties: the description of 'a' is not a string "
                                        r"\(3\); give one line"):
        class Unnamed(ArrayDataset):
            array_properties: ClassVar[dict[str, Any]] = {"a": 3}


def test_rows_of_a_numpy_array_are_tensors() -> None:
    dataset = Pair(PairConfig(), {"a": np.arange(12.0).reshape(4, 3), "b": np.arange(4)})
    assert torch.equal(dataset[2]["a"], torch.tensor([6.0, 7.0, 8.0], dtype=torch.float64))
    assert torch.equal(row(dataset.arrays["b"], 1), torch.tensor(1))
