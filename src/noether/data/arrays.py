"""Array-backed datasets: every property is a row of an array, and a batch is one gather per property.

:func:`row` and :func:`gather_rows` read rows of a torch tensor, a numpy array or a numpy memory map
(``np.load(..., mmap_mode="r")``, ``np.memmap``); any store with numpy-style row indexing can use them.
:class:`ArrayDataset` generates the ``getitem_<property>`` / ``getitems_<property>`` pair of each declared
array, so a subclass only loads its arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Union

import numpy as np
import torch

from noether.data.batch import BatchIndices
from noether.data.dataset import Dataset, with_normalizers

#: What :func:`row` and :func:`gather_rows` read: a tensor, or a numpy array / memory map.
Array = Union[torch.Tensor, np.ndarray]  # noqa: UP007 (a runtime alias; '|' of these classes works too)


def _tensor(array: np.ndarray) -> torch.Tensor:
    # Rows of a read-only memory map are copied: torch refuses to wrap non-writable memory silently, and a
    # copy also detaches the sample from the file.
    return torch.from_numpy(array if array.flags.writeable else np.array(array))


def row(array: Array, idx: int) -> torch.Tensor:
    """Row ``idx`` of ``array`` as a tensor (a view of an in-memory tensor; read from a memory map)."""
    if isinstance(array, torch.Tensor):
        return array[idx]
    return _tensor(np.asarray(array[idx]))


def gather_rows(array: Array, indices: Sequence[int]) -> torch.Tensor:
    """Rows ``indices`` of ``array`` in that order, as one tensor ``(len(indices), ...)`` (a single gather).

    Equal, value for value, to ``torch.stack([row(array, i) for i in indices])``.
    """
    if isinstance(array, torch.Tensor):
        index = indices.tensor if isinstance(indices, BatchIndices) else torch.as_tensor(indices, dtype=torch.int64)
        return array.index_select(0, index)
    return _tensor(np.take(array, np.asarray(indices, dtype=np.int64), axis=0))


def _accessors(
    name: str, doc: str, normalize: bool, required: bool
) -> tuple[Callable[[Any, int], Any], Callable[[Any, list[int]], Any]]:
    def getitem(self: ArrayDataset, idx: int) -> torch.Tensor:
        return row(self.arrays[name], idx)

    def getitems(self: ArrayDataset, indices: list[int]) -> torch.Tensor:
        return gather_rows(self.arrays[name], indices)


    for fn, prefix, what in ((getitem, "getitem_", "of one sample"), (getitems, "getitems_", "of a batch")):
        fn.__name__ = fn.__qualname__ = prefix + name
        fn.__doc__ = f"{doc} ({what})"
        fn.reads_array = name  # type: ignore[union-attr]  # (kept by the normalizing wrapper)
    if normalize:
        return with_normalizers(required=required)(getitem), with_normalizers(required=required)(getitems)
    return getitem, getitems


class ArrayDataset(Dataset):
    """A dataset whose properties are rows of arrays held in ``self.arrays`` (tensors or numpy memory maps).

    A subclass declares its properties in ``array_properties`` (name -> description) and fills
    ``self.arrays[name]`` in ``__init__``; the ``getitem_<name>`` and ``getitems_<name>`` methods are generated
    for it, normalized by the key ``name`` when ``normalize_arrays`` is set (a normalizer is needed only if
    ``normalizer_required``). Hand-written ``getitem_*`` methods can sit beside them. The arrays are fixed
    once the dataset is built (their common length is checked and kept on first use).
    """

    #: Property name -> one-line description (shape and meaning) of each array-backed property.
    array_properties: ClassVar[Mapping[str, str]] = {}
    #: Whether the generated properties pass through the normalizers of their name.
    normalize_arrays: ClassVar[bool] = True
    #: Whether a normalizer must be configured for every generated property.
    normalizer_required: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = cls.__dict__.get("array_properties", {})
        if not isinstance(declared, Mapping):
            raise TypeError(f"{cls.__name__}.array_properties must map each property name to a one-line description "
                            f"({{'a': '...'}}); got a {type(declared).__name__}")
        for name, doc in declared.items():
            if not isinstance(doc, str):
                raise TypeError(f"{cls.__name__}.array_properties: the description of {name!r} is not a string "
                                f"({doc!r}); give one line on its shape and meaning")
            for fn in _accessors(name, doc, cls.normalize_arrays, cls.normalizer_required):
                if fn.__name__ not in cls.__dict__:  # a hand-written accessor wins
                    setattr(cls, fn.__name__, fn)

    def __init__(self, config: Any, arrays: Mapping[str, Array] | None = None) -> None:
        super().__init__(config)
        #: The arrays by property name; every one has the samples along its first dimension.
        self.arrays: dict[str, Array] = dict(arrays or {})
        self._length: int | None = None

    def __len__(self) -> int:
        # Checked once, on first use (subclasses fill ``arrays`` after this base is initialized).
        if self._length is None:
            self._length = self._common_length()
        return self._length

    def collated_loader(self) -> Callable[[list[int]], dict[str, Any] | None] | None:
        """A function that loads a finished batch with one ``index_select`` per property, when that is what
        ``collate_fn(self.__getitems__(indices))`` amounts to: every property is a generated, unnormalized
        accessor of an in-memory tensor and the pipeline only stacks. ``None`` otherwise.

        The function answers only for :class:`~noether.data.batch.BatchIndices` known to be valid for this
        length (a sampler's); for any other indices it returns ``None`` and the caller takes the general path,
        which also checks them. The batch equals the general path's, key for key (``index``, then the
        properties in sorted order) and value for value.
        """
        pipeline = self.collate_fn
        if not getattr(pipeline, "only_stacks", False) or type(self).__getitems__ is not Dataset.__getitems__:
            return None
        arrays: list[tuple[str, torch.Tensor]] = []
        for prop in self.properties:
            method = getattr(type(self), f"getitems_{prop}", None)
            array = self.arrays.get(prop)
            # A generated, unnormalized accessor of an in-memory tensor (a normalized one has a normalization key).
            generated = getattr(method, "reads_array", None) == prop
            if not generated or hasattr(method, "normalization_key") or not isinstance(array, torch.Tensor):
                return None
            arrays.append((prop, array))
        length = len(self)

        def load(indices: list[int]) -> dict[str, Any] | None:
            if type(indices) is not BatchIndices or indices.bound is None or indices.bound > length:
                return None
            index = indices.tensor
            batch: dict[str, Any] = {"index": index}
            for prop, array in arrays:
                batch[prop] = array.index_select(0, index)
            return batch

        return load

    def _common_length(self) -> int:
        for name, array in self.arrays.items():
            if not isinstance(array, torch.Tensor | np.ndarray):
                raise TypeError(f"dataset {self.label}: array '{name}' is a {type(array).__name__}; give a tensor or "
                                "a NumPy array (np.asarray(...), or np.load(..., mmap_mode='r'))")
            if isinstance(array, np.ndarray) and array.dtype.kind not in "biufc":
                raise TypeError(f"dataset {self.label}: array '{name}' holds NumPy dtype {array.dtype}; only numbers "
                                "and booleans make tensors (convert it, e.g. with .astype(np.float32))")
            if array.ndim == 0:
                raise ValueError(f"dataset {self.label}: array '{name}' is a single number (shape ()); its first "
                                 "dimension must be the samples")
        cls = type(self)
        missing = [name for name in cls.array_properties if name not in self.arrays
                   and any(getattr(getattr(cls, prefix + name, None), "reads_array", None) == name
                           for prefix in ("getitem_", "getitems_"))]
        if missing:
            raise ValueError(
                f"dataset {self.label}: no array for the declared propert{'ies' if len(missing) > 1 else 'y'} "
                f"{', '.join(repr(m) for m in missing)} (array_properties of {cls.__name__}); arrays given: "
                f"{', '.join(self.arrays) or '(none)'}"
            )
        lengths = {name: int(array.shape[0]) for name, array in self.arrays.items()}
        if not lengths:
            raise ValueError(f"dataset {self.label} holds no arrays")
        first = next(iter(lengths.values()))
        if any(n != first for n in lengths.values()):
            raise ValueError(f"dataset {self.label}: arrays have different numbers of samples {lengths}")
        return first
