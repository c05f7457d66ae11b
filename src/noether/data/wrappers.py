"""Dataset wrappers (§8.3): a property view, and repeat / shuffle / subset views by an index map.

Each wrapper is transparent: attributes it does not define come from the wrapped dataset, and
``getitem_<property>`` calls are forwarded with the index remapped, so ``wrapper.getitem_x(i)`` equals
``wrapper[i]["x"]``. Every sample dict is built fresh by the innermost dataset, so wrappers may set keys in it
without copying.

Batches pass through too: ``wrapper.__getitems__(indices)`` maps the indices and asks the inner dataset for the
whole batch (a :class:`~noether.data.batch.SampleBatch` when it has batch loaders), and ``batch_getter`` remaps
``getitems_<property>`` as ``getter`` remaps ``getitem_<property>``. A wrapper subclass that overrides
``__getitem__`` but not ``__getitems__`` is fetched sample by sample, so its own logic is never bypassed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

import numpy as np
import torch

from noether.core.schemas.wrappers import RepeatWrapperConfig, ShuffleWrapperConfig, SubsetWrapperConfig
from noether.data.batch import BatchGetter, BatchIndices, Plan, SampleBatch, load_batch, valid_indices
from noether.data.errors import check_index, load_sample, unknown_properties


class SampleSource(Protocol):
    """What a wrapper needs from the dataset it wraps."""

    def __len__(self) -> int: ...

    def __getitem__(self, idx: int) -> dict[str, Any]: ...

    def getter(self, prop: str) -> Callable[[int], Any]: ...


def _label(dataset: Any) -> str:
    return str(getattr(dataset, "label", type(dataset).__name__))


_OWN_BATCH_FETCH: dict[type, bool] = {}


def _own_batch_fetch(cls: type) -> bool:
    """Whether ``cls.__getitems__`` is at least as specific as its ``__getitem__`` (computed once per class)."""
    own = _OWN_BATCH_FETCH.get(cls)
    if own is None:
        mro = cls.__mro__
        defining = {name: next(i for i, c in enumerate(mro) if name in c.__dict__)
                    for name in ("__getitem__", "__getitems__")}
        own = _OWN_BATCH_FETCH[cls] = defining["__getitems__"] <= defining["__getitem__"]
    return own


def fetch_batch(dataset: Any, indices: list[int]) -> list[dict[str, Any]] | SampleBatch:
    """``dataset.__getitems__(indices)`` where it has one, else one ``dataset[i]`` per index."""
    getitems = getattr(dataset, "__getitems__", None)
    if getitems is not None:
        result: list[dict[str, Any]] | SampleBatch = getitems(indices)
        return result
    return [dataset[i] for i in indices]


def batch_getter_of(dataset: Any, prop: str) -> BatchGetter | None:
    """The batch loader of ``prop`` in ``dataset`` (any dataset or wrapper), or ``None``."""
    lookup = getattr(dataset, "batch_getter", None)
    return None if lookup is None else lookup(prop)


class DatasetWrapper(torch.utils.data.Dataset[dict[str, Any]]):
    """Base of all wrappers: holds the inner ``dataset`` and forwards unknown attributes to it."""

    def __init__(self, config: Any, dataset: SampleSource) -> None:
        self.config = config
        self.dataset = dataset
        #: How errors name this view: the inner dataset and the chain of wrappers.
        self.label = f"{_label(dataset)} > {type(self).__name__}"

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, idx: int) -> dict[str, Any]:
        return self.dataset[idx]

    def __getitems__(self, indices: list[int]) -> list[dict[str, Any]] | SampleBatch:
        """The batch from the inner dataset (sample by sample if a subclass changed ``__getitem__`` only)."""
        if not _own_batch_fetch(type(self)):
            return [self[i] for i in indices]
        return fetch_batch(self.dataset, indices)

    def __getattr__(self, name: str) -> Any:
        # Guard dunder and 'dataset' lookups: during unpickling in DataLoader workers ``dataset`` is not set
        # yet, and forwarding would recurse forever.
        if name.startswith("__") or name == "dataset":
            raise AttributeError(name)
        return getattr(self.dataset, name)

    @property
    def root_dataset(self) -> Any:
        """The innermost (unwrapped) dataset."""
        inner: Any = self.dataset
        while isinstance(inner, DatasetWrapper):
            inner = inner.dataset
        return inner


class _Remapped:
    """``getitem_<property>`` of the inner dataset, called with the wrapper's index map applied."""

    def __init__(self, getter: Callable[[int], Any], indices: np.ndarray, label: str) -> None:
        self.getter = getter
        self.indices = indices
        self.label = label

    def __call__(self, idx: int) -> Any:
        return self.getter(int(self.indices[check_index(idx, len(self.indices), self.label)]))


class _RemappedBatch:
    """``getitems_<property>`` of the inner dataset, called with the wrapper's index map applied."""

    def __init__(self, getter: BatchGetter, indices: np.ndarray, label: str) -> None:
        self.getter = getter
        self.indices = indices
        self.label = label

    def __call__(self, indices: list[int]) -> Any:
        checked = valid_indices(indices, len(self.indices))
        if checked is None:
            checked = BatchIndices(check_index(i, len(self.indices), self.label) for i in indices)
        return self.getter(BatchIndices.from_array(self.indices[checked]))


class IndexMapWrapper(DatasetWrapper):
    """A view through ``indices``: sample ``i`` is inner sample ``indices[i]``."""

    def __init__(self, config: Any, dataset: SampleSource, indices: Iterable[int] | np.ndarray) -> None:
        super().__init__(config, dataset)
        self.indices = np.asarray(indices, dtype=np.int64)
        if self.indices.ndim != 1:
            raise ValueError(f"{self.label}: the index map must be one-dimensional")

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, idx: int) -> dict[str, Any]:
        index = check_index(idx, len(self.indices), self.label)
        sample = self.dataset[int(self.indices[index])]
        # 'index' is always the index that was asked of the outermost view (§8.2), so every repetition of a
        # repeated sample is distinguishable (e.g. for per-sample random subsampling).
        if "index" in sample:
            sample["index"] = index
        return sample

    def __getitems__(self, indices: list[int]) -> list[dict[str, Any]] | SampleBatch:
        """The inner samples ``indices[i]`` fetched as one batch, with ``index`` set as ``__getitem__`` sets it."""
        checked = valid_indices(indices, len(self.indices)) if _own_batch_fetch(type(self)) else None
        if checked is None:
            return [self[i] for i in indices]  # a bad index raises here, as for a single sample
        batch = fetch_batch(self.dataset, BatchIndices.from_array(self.indices[checked.tensor.numpy()]))
        if isinstance(batch, SampleBatch):
            if "index" in batch.columns:
                batch.columns["index"] = checked
        else:
            for sample, index in zip(batch, checked, strict=True):
                if "index" in sample:
                    sample["index"] = index
        return batch

    def getter(self, prop: str) -> Callable[[int], Any]:
        """The inner getter of ``prop`` with this wrapper's index map applied."""
        return _Remapped(self.dataset.getter(prop), self.indices, self.label)

    def batch_getter(self, prop: str) -> BatchGetter | None:
        """The inner batch loader of ``prop`` with this wrapper's index map applied (``None`` if it has none)."""
        inner = batch_getter_of(self.dataset, prop)
        return None if inner is None else _RemappedBatch(inner, self.indices, self.label)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("getitems_"):
            return _RemappedBatch(getattr(self.dataset, name), self.indices, self.label)
        if name.startswith("getitem_"):
            return _Remapped(getattr(self.dataset, name), self.indices, self.label)
        return super().__getattr__(name)


class RepeatWrapper(IndexMapWrapper):
    """The dataset ``repetitions`` times, round robin: 0, 1, ..., n-1, 0, 1, ..."""

    def __init__(self, config: RepeatWrapperConfig, dataset: SampleSource) -> None:
        n = len(dataset)
        if n == 0:
            raise ValueError(f"{_label(dataset)}: cannot repeat an empty dataset")
        if config.repetitions < 1:
            raise ValueError(f"RepeatWrapper: repetitions must be >= 1, got {config.repetitions}")
        super().__init__(config, dataset, np.tile(np.arange(n, dtype=np.int64), config.repetitions))


class ShuffleWrapper(IndexMapWrapper):
    """A fixed permutation from ``numpy.random.default_rng(seed).shuffle``.

    With ``seed`` None the generator is seeded from ``torch.initial_seed()``, i.e. from the run's seed, so the
    order is reproducible without a seed in the config.
    """

    def __init__(self, config: ShuffleWrapperConfig, dataset: SampleSource) -> None:
        self.seed = torch.initial_seed() if config.seed is None else config.seed
        indices = np.arange(len(dataset), dtype=np.int64)
        np.random.default_rng(self.seed).shuffle(indices)
        super().__init__(config, dataset, indices)


def subset_indices(config: SubsetWrapperConfig, n: int, label: str = "SubsetWrapper") -> np.ndarray:
    """The index map of a subset of ``n`` samples (§8.3; ``end_index=0`` means an empty subset)."""
    by_index = config.start_index is not None or config.end_index is not None
    by_percent = config.start_percent is not None or config.end_percent is not None
    if config.indices is not None:
        if by_index or by_percent:
            raise ValueError(f"{label}: 'indices' cannot be combined with an index or percent range")
        indices = np.asarray(config.indices, dtype=np.int64).reshape(-1)
        bad = [int(i) for i in indices if i < 0 or i >= n]
        if bad:
            raise IndexError(f"{label}: indices {bad[:5]} are out of range for {n} samples")
        return indices
    if by_index and by_percent:
        raise ValueError(f"{label}: choose an index range or a percent range, not both")
    if by_index:
        start = 0 if config.start_index is None else config.start_index
        # ``is None`` (not ``or``): end_index=0 selects nothing (upstream treated it as "unset", §10.30).
        end = n if config.end_index is None else min(config.end_index, n)
        if not isinstance(start, int) or not isinstance(end, int):
            raise TypeError(f"{label}: start_index and end_index must be integers")
        if start > end:
            raise ValueError(f"{label}: start_index={start} is past end_index={end} (dataset of {n} samples)")
        return np.arange(start, end, dtype=np.int64)
    if by_percent:
        start_p = 0.0 if config.start_percent is None else float(config.start_percent)
        end_p = 1.0 if config.end_percent is None else float(config.end_percent)
        if not (0.0 <= start_p <= 1.0 and 0.0 <= end_p <= 1.0):
            raise ValueError(f"{label}: start_percent and end_percent must lie in [0, 1]")
        if end_p <= start_p:
            raise ValueError(f"{label}: end_percent={end_p} must be greater than start_percent={start_p}")
        return np.arange(int(start_p * n), int(end_p * n), dtype=np.int64)
    raise RuntimeError(f"{label}: give 'indices', 'start_index'/'end_index' or 'start_percent'/'end_percent'")


class SubsetWrapper(IndexMapWrapper):
    """A subset by explicit indices, an index range or a fraction range (exactly one)."""

    def __init__(self, config: SubsetWrapperConfig, dataset: SampleSource) -> None:
        label = f"{_label(dataset)} > SubsetWrapper"
        super().__init__(config, dataset, subset_indices(config, len(dataset), label))


def keeps_sample_keys(cls: type) -> bool:
    """Whether the wrapper class ``cls`` returns the keys of its inner samples unchanged: an index wrapper that
    keeps :class:`IndexMapWrapper`'s fetching (the built-in shuffle, subset and repeat wrappers). Any other
    wrapper may derive keys from any property, so what it needs cannot be told from the keys asked for."""
    return (isinstance(cls, type) and issubclass(cls, IndexMapWrapper)
            and cls.__getitem__ is IndexMapWrapper.__getitem__ and cls.__getitems__ is IndexMapWrapper.__getitems__)


def select_properties(
    available: Iterable[str],
    included: Iterable[str] | None,
    excluded: Iterable[str] | None,
    label: str,
) -> frozenset[str]:
    """The properties to load (§8.2); ``index`` counts as one. Unknown names raise ``AttributeError``."""
    known = frozenset(available) | {"index"}
    inc = None if included is None else frozenset(included)
    exc = None if excluded is None else frozenset(excluded)
    for given in (inc, exc):
        unknown = sorted((given or frozenset()) - known)
        if unknown:
            raise unknown_properties(label, unknown, known)
    selected = (known if inc is None else inc) - (exc or frozenset())
    if not selected:
        raise ValueError(f"dataset {label}: the property selection is empty (included={inc}, excluded={exc})")
    return selected


class PropertySubsetWrapper(DatasetWrapper):
    """Loads only the selected properties; ``index`` is included only if selected."""

    def __init__(self, dataset: Any, properties: Iterable[str]) -> None:
        super().__init__(None, dataset)
        selected = frozenset(properties)
        self.label = _label(dataset)
        self.properties = tuple(sorted(selected - {"index"}))
        self.include_index = "index" in selected
        self._getters = tuple((prop, dataset.getter(prop)) for prop in self.properties)
        self._plan: Plan = tuple((prop, get, batch_getter_of(dataset, prop)) for prop, get in self._getters)
        self._compared = False  # (as Dataset's: the first batch's first sample against the batch loaders)

    def __getitem__(self, idx: int) -> dict[str, Any]:
        index = check_index(idx, len(self.dataset), self.label)
        sample: dict[str, Any] = {"index": index} if self.include_index else {}
        return load_sample(self.label, self._getters, index, sample)

    def __getitems__(self, indices: list[int]) -> list[dict[str, Any]] | SampleBatch:
        """The selected properties of a batch: one call per property with a batch loader."""
        checked = valid_indices(indices, len(self.dataset))
        if checked is None or not any(get_batch is not None for _, _, get_batch in self._plan):
            return [self[i] for i in indices]
        batch = load_batch(self.label, self._plan, checked, self.include_index, self.__getitem__,
                           not self._compared)
        self._compared = True
        return batch

    def check_batch_loaders(self) -> None:
        """As :meth:`noether.data.dataset.Dataset.check_batch_loaders`, for the selected properties."""
        if not self._compared and len(self) and any(get_batch is not None for _, _, get_batch in self._plan):
            self.__getitems__([0])

    def getter(self, prop: str) -> Callable[[int], Any]:
        """The getter of a selected property; others raise ``AttributeError``."""
        if prop not in self.properties:
            raise AttributeError(f"dataset {self.label}: property '{prop}' is not selected")
        getter: Callable[[int], Any] = self.dataset.getter(prop)
        return getter

    def batch_getter(self, prop: str) -> BatchGetter | None:
        """The batch loader of a selected property (``None`` if it loads sample by sample)."""
        self.getter(prop)  # unselected properties raise
        return batch_getter_of(self.dataset, prop)
