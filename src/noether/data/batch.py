"""The batched data path: a batch of samples held by column, and how datasets fill it.

A dataset opts in per property with a ``getitems_<property>(indices)`` method next to its ``getitem_<property>``:
it returns the values of all ``indices`` at once, a tensor (or NumPy array) with the batch as its first
dimension (one gather) or a list with one value per sample. ``Dataset.__getitems__`` then returns a
:class:`SampleBatch` instead of a list of sample dicts; the :class:`~noether.data.pipeline.Pipeline` processes
and collates it column by column, so nothing per-sample remains for a dataset whose properties are all batched.

A :class:`SampleBatch` is also a read-only sequence of sample dicts, so any other ``collate_fn`` (such as
``torch.utils.data.default_collate``) still gets what a list of samples would give it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np
import torch

from noether.data.errors import SampleError

#: A per-sample loader ``getitem_<property>(idx)``.
Getter = Callable[[int], Any]
#: A batch loader ``getitems_<property>(indices)``.
BatchGetter = Callable[[list[int]], Any]
#: What loading a batch needs per property: ``(property, getter, batch getter or None)``.
Plan = tuple[tuple[str, Getter, BatchGetter | None], ...]


def owned(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor``, copied if it is a view: a batch never shares memory with its dataset.

    A batch loader may return a view of its storage (a slice of an in-memory array); a model that changes its
    input in place must not change the data set, as a stacked or padded batch never does. Collators call this
    on every column they pass through unchanged.
    """
    return tensor.clone() if tensor._is_view() else tensor


class BatchLoadError(RuntimeError):
    """A batch loader failed (or returned a wrong shape) although every sample loads one by one."""


class BatchIndices(list[int]):
    """The sample indices of one batch: a list, with its int64 tensor made at most once and then shared.

    Every gather of the batch and the collated ``index`` need the same index tensor; building it from a
    Python list costs more than a gather of a small batch, so it is built once (or wrapped from a numpy
    array without copying, when a wrapper has mapped the indices with one).
    """

    __slots__ = ("_tensor", "bound")

    def __init__(self, values: Iterable[int] = (), tensor: torch.Tensor | None = None,
                 bound: int | None = None) -> None:
        super().__init__(values)
        self._tensor = tensor
        #: When set, every index is known to lie in ``[0, bound)`` (a sampler's permutation of ``range(bound)``
        #: makes them so): a dataset of at least that length skips checking them.
        self.bound = bound

    @classmethod
    def from_array(cls, array: np.ndarray) -> BatchIndices:
        """Indices from a one-dimensional int64 array (the tensor shares its memory)."""
        return cls(array.tolist(), torch.from_numpy(array))

    @property
    def tensor(self) -> torch.Tensor:
        """The indices as an int64 tensor (read-only by convention: it may be shared)."""
        if self._tensor is None:
            self._tensor = torch.from_numpy(np.asarray(self, dtype=np.int64))  # torch.tensor(list) is slower
        return self._tensor


class SampleBatch(Sequence[dict[str, Any]]):
    """Samples of one batch by column: ``columns[key]`` holds the values of every sample.

    A column is *batched* (a tensor whose first dimension is the batch) or *per-sample* (a list with one value
    per sample). ``batch[i]`` builds the dict of sample ``i``, as ``dataset[indices[i]]`` would have returned it
    (``index`` as a plain int, batched values as views of row ``i``).
    """

    __slots__ = ("columns", "size")

    def __init__(self, columns: dict[str, Any], size: int) -> None:
        #: ``key -> tensor (batch, ...)`` or ``key -> list`` (one value per sample), in sample-dict key order.
        self.columns = columns
        #: Number of samples.
        self.size = size

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.size))]
        if not -self.size <= i < self.size:
            raise IndexError(f"sample {i} of a batch of {self.size}")
        return {key: column[i] for key, column in self.columns.items()}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self[i] for i in range(self.size))

    def samples(self) -> list[dict[str, Any]]:
        """Every sample as its own dict (for processors and collators without a batched form)."""
        return [self[i] for i in range(self.size)]

    def is_batched(self, key: str) -> bool:
        """Whether ``key`` is held as one tensor with the batch as first dimension."""
        return isinstance(self.columns[key], torch.Tensor)

    def __repr__(self) -> str:
        kinds = ", ".join(
            f"{k}: {tuple(v.shape) if isinstance(v, torch.Tensor) else 'list'}" for k, v in self.columns.items()
        )
        return f"SampleBatch({self.size} samples; {kinds})"


def _checked(prop: str, value: Any, size: int) -> Any:
    if isinstance(value, np.ndarray):
        value = _from_numpy(prop, value)
    elif type(value) is tuple:
        value = list(value)
    if isinstance(value, torch.Tensor):
        if value.dim() == 0 or value.shape[0] != size:
            raise BatchLoadError(
                f"getitems_{prop} returned a tensor of shape {tuple(value.shape)} for {size} indices; "
                "it must have the batch as its first dimension"
            )
        return value
    if isinstance(value, list):
        if len(value) != size:
            raise BatchLoadError(f"getitems_{prop} returned {len(value)} values for {size} indices")
        return value
    raise BatchLoadError(
        f"getitems_{prop} returned a {type(value).__name__}; it must return a tensor or a NumPy array (batch "
        "first), or a list (or tuple) with one value per sample"
    )


def _from_numpy(prop: str, array: np.ndarray) -> torch.Tensor:
    """A batch loader's NumPy array as the tensor the per-sample path would stack (the same dtype).

    An array that does not own its memory (a slice of the dataset's arrays, rows of a memory map) is copied, as
    :func:`owned` copies a tensor view; a gather into a new array (``rows[indices]``) is used as it is.
    """
    if array.dtype.kind not in "biufc":
        raise BatchLoadError(f"getitems_{prop} returned a NumPy array of dtype {array.dtype}; only numbers and "
                             "booleans make tensors")
    if not (array.flags.owndata and array.flags.writeable) or not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="), copy=True)
    return torch.from_numpy(array)


def load_batch(
    label: str,
    plan: Plan,
    indices: list[int],
    include_index: bool,
    load_one: Callable[[int], dict[str, Any]],
    compare_first: bool = False,
) -> SampleBatch:
    """Load ``indices`` by column: one ``getitems_`` call per batched property, a loop for the others.

    ``indices`` must already be valid. When anything fails, the samples are loaded one by one with ``load_one``
    (the per-sample path), so that the error names the sample and property; if they all load, the batch
    loader itself is at fault and :class:`BatchLoadError` names it. With ``compare_first`` (a dataset's first
    batch) the batch's first sample is also loaded by each batched property's per-sample method, and a batch
    loader whose rows differ from it in shape or dtype is named (:func:`compare_with_samples`).
    """
    columns: dict[str, Any] = {"index": indices} if include_index else {}
    size = len(indices)
    prop = ""
    try:
        for prop, get, get_batch in plan:
            if get_batch is None:
                columns[prop] = [get(i) for i in indices]
            else:
                columns[prop] = _checked(prop, get_batch(indices), size)
    except Exception as exc:
        for i in indices:
            load_one(i)  # raises SampleError naming the failing sample, if one fails
        if isinstance(exc, BatchLoadError | SampleError):
            raise BatchLoadError(f"dataset {label}: {exc}") from exc
        raise BatchLoadError(
            f"dataset {label}: getitems_{prop} failed for a batch of {size} samples that load one by one: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if compare_first and size:
        compare_with_samples(label, plan, columns, indices[0], load_one)
    return SampleBatch(columns, size)


def compare_with_samples(label: str, plan: Plan, columns: dict[str, Any], first: int,
                         load_one: Callable[[int], dict[str, Any]]) -> None:
    """Check the first row of every batched column against its per-sample method's value of sample ``first``:
    the same shape and dtype, or :class:`BatchLoadError` naming the batch loader and where it is defined.

    Once per dataset (its first batch) and one sample per property: the shape of a wrong batch loader would
    otherwise surface as a model's shape or dtype error, far from its cause. Values are not compared (a
    batched computation may round differently); ``noether verify-batches`` compares them. Per-sample values
    that are Python numbers are not checked (the pipeline decides their dtype).
    """
    for prop, get, get_batch in plan:
        column = columns.get(prop)
        if get_batch is None or not isinstance(column, torch.Tensor):
            continue
        try:
            single = get(first)
        except Exception:
            load_one(first)  # names the failing sample and property
            raise
        reference = _shape_and_dtype(single)
        if reference is None:
            continue
        rows = (tuple(column.shape[1:]), column.dtype)
        if rows != reference:
            raise BatchLoadError(
                f"dataset {label}: getitems_{prop} returned rows of shape {rows[0]} and dtype "
                f"{_dtype_name(rows[1])}, but getitem_{prop}({first}) returns shape {reference[0]} and dtype "
                f"{_dtype_name(reference[1])}; a batch loader must return what its samples stack to (getitems_{prop} "
                f"is at {source_of(get_batch)}; the per-sample method is the reference, and `noether verify-batches "
                "<config>` compares the values too)"
            )


def _shape_and_dtype(value: Any) -> tuple[tuple[int, ...], torch.dtype] | None:
    if isinstance(value, torch.Tensor):
        return tuple(value.shape), value.dtype
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        try:
            dtype = torch.from_numpy(np.empty(0, dtype=value.dtype.newbyteorder("="))).dtype
        except TypeError:  # a dtype torch has no tensor of: the stacking reports it
            return None
        return tuple(value.shape), dtype
    return None


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def source_of(function: Any) -> str:
    """``path:line`` where ``function`` (a method, a decorated function, a wrapper's remapped loader) is
    defined, or ``"defined in <its type>"`` where no source is known (a builtin, a C extension)."""
    import inspect

    for _ in range(16):  # through bound methods, decorators and wrappers' remapped loaders
        function = inspect.unwrap(getattr(function, "__func__", function))
        code = getattr(function, "__code__", None)
        if code is not None:
            return f"{code.co_filename}:{code.co_firstlineno}"
        inner = getattr(function, "getter", None)
        if not callable(inner):
            break
        function = inner
    return f"defined in {type(function).__name__}"


def valid_indices(indices: Sequence[Any], length: int) -> BatchIndices | None:
    """``indices`` as :class:`BatchIndices` if they are integers in ``[0, length)``, else ``None`` (the caller
    then checks them one by one, for the message).

    The check and the index tensor go through one numpy array: converting a Python list with ``torch.tensor``
    or checking it element by element costs several times more than a gather of a batch of 64.
    """
    if isinstance(indices, BatchIndices):
        if indices.bound is not None and indices.bound <= length:
            return indices  # made valid for this length (a sampler's order): nothing to check
        array = indices.tensor.numpy()
    else:
        try:
            array = np.asarray(indices)
        except (TypeError, ValueError):
            return None
        if array.ndim != 1 or array.dtype.kind not in "iu":
            return None  # bools, floats, objects: the per-sample check names the offending index
        array = array.astype(np.int64, copy=False)
    # Python's min/max over a short list cost less than numpy's reductions.
    values: Any = indices if type(indices) is list else array
    if len(values) and (min(values) < 0 or max(values) >= length):
        return None
    if isinstance(indices, BatchIndices):
        return indices
    return BatchIndices(indices if type(indices) is list else array.tolist(), torch.from_numpy(array))
