"""The dataset base (§8.1): ``getitem_<property>`` methods, normalizers per data source, ``build_dataset``.

A dataset subclasses :class:`Dataset`, implements ``__len__`` and one ``getitem_<property>(idx)`` method per
property. ``dataset[idx]`` returns ``{"index": idx, <property>: getitem_<property>(idx), ...}``. A getitem
decorated with :func:`with_normalizers` passes its output through the normalizers configured for its key.

A property may also have a batch loader ``getitems_<property>(indices)`` (see :mod:`noether.data.batch`):
the DataLoader's ``dataset.__getitems__(indices)`` then loads it with one call per batch, and the per-sample
``getitem_<property>`` stays the reference (for ``dataset[idx]``, and for error messages).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar, overload

import torch

from noether.core.errors import ConfigError, Issue, with_guesses
from noether.core.schemas.dataset import DatasetBaseConfig
from noether.data.batch import BatchGetter, Plan, SampleBatch, load_batch, valid_indices
from noether.data.errors import check_index, load_sample, unknown_properties
from noether.data.normalizers import NormalizerChain, build_normalizers
from noether.data.pipeline import Pipeline, build_pipeline
from noether.data.wrappers import PropertySubsetWrapper, select_properties

_PREFIX = "getitem_"
_BATCH_PREFIX = "getitems_"
_Getitem = TypeVar("_Getitem", bound=Callable[..., Any])
_CLASS_PROPERTIES: dict[type, tuple[str, ...]] = {}


def _class_properties(cls: type) -> tuple[str, ...]:
    """Property names of a dataset class: its ``getitem_*`` methods, sorted (computed once per class).

    Batch loaders are checked here too, once per class: each ``getitems_<p>`` needs its ``getitem_<p>``
    (the per-sample reference) and the same normalization, or the two paths would give different values.
    """
    props = _CLASS_PROPERTIES.get(cls)
    if props is None:
        names = (name for name in dir(cls) if name.startswith(_PREFIX) and callable(getattr(cls, name)))
        props = tuple(sorted(name[len(_PREFIX):] for name in names))
        _check_batch_loaders(cls, props)
        _CLASS_PROPERTIES[cls] = props
    return props


def _check_batch_loaders(cls: type, props: tuple[str, ...]) -> None:
    for name in dir(cls):
        if not name.startswith(_BATCH_PREFIX) or not callable(getattr(cls, name)):
            continue
        prop = name[len(_BATCH_PREFIX):]
        if prop not in props:
            raise TypeError(
                f"{cls.__name__}.{name} has no per-sample getitem_{prop}; a batch loader needs it as the "
                "reference for single samples and error messages"
            )
        single, batch = getattr(cls, _PREFIX + prop), getattr(cls, name)
        keys = [(getattr(f, "normalization_key", None), getattr(f, "normalizer_required", None))
                for f in (single, batch)]
        if keys[0] != keys[1]:
            raise TypeError(
                f"{cls.__name__}: getitem_{prop} and {name} are normalized differently "
                f"(key, required) = {keys[0]} vs {keys[1]}; decorate both alike with @with_normalizers"
            )


class Dataset(torch.utils.data.Dataset[dict[str, Any]]):
    """Base of every Noether dataset, constructed as ``Dataset(config)``."""

    #: Config class used when the dataset is named by its import path instead of a registered kind.
    config_class: ClassVar[type] = DatasetBaseConfig

    def __init__(self, config: DatasetBaseConfig) -> None:
        self.config = config
        #: Name used in messages; :func:`build_dataset` sets it to the key of the dataset in the config.
        self.name = type(self).__name__
        #: Composed normalizers per data source key.
        self.normalizers: dict[str, NormalizerChain] = build_normalizers(config.dataset_normalizers)
        #: False while computing statistics: decorated getitems then return raw values.
        self.normalization_enabled = True
        #: ``dataset_statistics`` of the run (``name -> list``), for datasets that derive settings from them.
        self.statistics: dict[str, list[float]] = {}
        #: How samples become batches (``config.pipeline``); the trainer's DataLoader uses it as collate_fn.
        self.collate_fn: Pipeline = build_pipeline(config.pipeline)
        self._getters: tuple[tuple[str, Callable[[int], Any]], ...] | None = None
        self._plan: Plan | None = None
        self._any_batched = False
        # Whether a batch's first sample was compared with the batch loaders' rows (once, at the first batch).
        self._compared = False

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    # -- properties ------------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Name used in messages (the dataset's key in the config once built)."""
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value
        cls = type(self).__name__
        # Computed once here, not per sample: messages need it, the data path must not pay for it.
        self.label = f"'{value}'" if value == cls else f"'{value}' ({cls})"

    @property
    def properties(self) -> tuple[str, ...]:
        """Names of every property (``getitem_<name>`` methods), sorted; ``index`` is implicit."""
        return _class_properties(type(self))

    def getter(self, prop: str) -> Callable[[int], Any]:
        """The loader of one property; unknown properties raise ``AttributeError`` listing the known ones."""
        method = getattr(self, _PREFIX + prop, None) if prop in self.properties else None
        if method is None:
            raise unknown_properties(self.label, [prop], self.properties)
        return method

    def batch_getter(self, prop: str) -> BatchGetter | None:
        """The batch loader ``getitems_<prop>`` of one property, or ``None`` if it loads sample by sample."""
        self.getter(prop)  # unknown properties raise, listing the known ones
        method: BatchGetter | None = getattr(self, _BATCH_PREFIX + prop, None)
        return method

    def __getitem__(self, idx: int) -> dict[str, Any]:
        index = check_index(idx, len(self), self.label)
        getters = self._getters
        if getters is None:
            # Resolved once, not per sample: the data path does no attribute reflection.
            getters = self._getters = tuple((prop, self.getter(prop)) for prop in self.properties)
        return load_sample(self.label, getters, index, {"index": index})

    def __getitems__(self, indices: list[int]) -> list[dict[str, Any]] | SampleBatch:
        """A whole batch of samples (the DataLoader calls this instead of one ``__getitem__`` per sample).

        Indices are checked once for the batch. If any property has a batch loader, the result is a
        :class:`~noether.data.batch.SampleBatch` (one call per batched property); otherwise a list of sample
        dicts built in a plain loop. When anything fails, the batch is loaded again sample by sample so that
        the error names the sample and property.
        """
        plan = self._plan
        if plan is None:
            plan = self._plan = tuple((p, self.getter(p), self.batch_getter(p)) for p in self.properties)
            self._getters = tuple((p, get) for p, get, _ in plan)
            self._any_batched = any(get_batch is not None for _, _, get_batch in plan)
        checked = valid_indices(indices, len(self))
        if checked is None:
            return [self[i] for i in indices]
        if self._any_batched:
            batch = load_batch(self.label, plan, checked, True, self.__getitem__, not self._compared)
            self._compared = True
            return batch
        try:
            return [{"index": i, **{prop: get(i) for prop, get, _ in plan}} for i in checked]
        except Exception:
            return [self[i] for i in checked]

    def check_batch_loaders(self) -> None:
        """Compare the batch loaders' rows with their per-sample methods now, on sample 0, if not done yet
        (:func:`~noether.data.batch.compare_with_samples`; otherwise the first ``__getitems__`` does it).

        The trainer calls this in the main process before DataLoader workers start: they are copies of the
        dataset made anew each epoch, and each would otherwise check again.
        """
        if not self._compared and len(self) and any(self.batch_getter(p) is not None for p in self.properties):
            self.__getitems__([0])

    # -- normalization ---------------------------------------------------------------------------------------
    def normalizer_keys(self) -> dict[str, bool]:
        """Keys of the normalized properties, each with whether a normalizer is required for it."""
        keys: dict[str, bool] = {}
        for prop in self.properties:
            method = getattr(type(self), _PREFIX + prop)
            key = getattr(method, "normalization_key", None)
            if key is not None:
                keys[key] = keys.get(key, False) or bool(getattr(method, "normalizer_required", True))
        return keys

    def apply_normalizer(self, key: str, value: Any, *, required: bool = True) -> Any:
        """Normalize ``value`` with the normalizers of ``key`` (nothing when disabled; §8.1)."""
        if not self.normalization_enabled:
            return value
        chain = self.normalizers.get(key)
        if chain is None:
            if required:
                raise KeyError(
                    f"dataset {self.label} has no normalizer for '{key}'; configured normalizer keys: "
                    f"{', '.join(sorted(self.normalizers)) or '(none)'}"
                )
            return value
        return chain.normalize(value)

    def normalize(self, key: str, value: torch.Tensor) -> torch.Tensor:
        """Normalize a tensor as the property ``key`` is (unchanged when ``key`` has no normalizer)."""
        chain = self.normalizers.get(key)
        return value if chain is None else chain.normalize(value)

    def denormalize(self, key: str, value: torch.Tensor) -> torch.Tensor:
        """Map a normalized tensor of ``key`` (e.g. a prediction) back to physical units.

        A property without a normalizer is returned unchanged; a key that is neither a property nor a
        normalizer key raises ``KeyError`` (a typo would otherwise silently skip the inverse).
        """
        chain = self.normalizers.get(key)
        if chain is not None:
            return chain.denormalize(value)
        if key in self.properties or key in self.normalizer_keys():
            return value
        raise KeyError(f"dataset {self.label} has no property or normalizer '{key}'")

    def add_normalizers(self, configs: Mapping[str, Any] | None) -> None:
        """Add shared normalizers (the config's top-level ``dataset_normalizer``) for keys this dataset uses.

        Keys the dataset already configures keep their own normalizers; keys it does not know are skipped,
        because one shared section serves datasets of different kinds.
        """
        known = self.normalizer_keys()
        chosen = {k: v for k, v in (configs or {}).items() if k in known and k not in self.normalizers}
        self.normalizers.update(build_normalizers(chosen))

    def check_normalizers(self) -> None:
        """Fail early: every required key has a normalizer, and every configured key is used."""
        keys = self.normalizer_keys()
        missing = sorted(k for k, required in keys.items() if required and k not in self.normalizers)
        if missing:
            raise KeyError(
                f"dataset {self.label}: no normalizer configured for {', '.join(repr(k) for k in missing)}; "
                f"configured normalizer keys: {', '.join(sorted(self.normalizers)) or '(none)'}"
            )
        unused = sorted(k for k in self.normalizers if k not in keys)
        if unused:
            # A config problem at the key's own path (build_dataset puts it under datasets.<name>), so that
            # `noether run` can say where the misspelt key was written.
            known = sorted(keys)
            raise ConfigError([
                Issue(("normalizers", key), f"normalizer key {with_guesses([key], known)} matches no normalized "
                                            f"property of dataset {self.label}; normalized keys: "
                                            f"{', '.join(known) or '(none)'}")
                for key in unused
            ], "a normalizer key matches no property")


@overload
def with_normalizers(key: _Getitem) -> _Getitem: ...


@overload
def with_normalizers(
    key: str | None = None, *, required: bool = True
) -> Callable[[_Getitem], _Getitem]: ...


def with_normalizers(key: Any = None, *, required: bool = True) -> Any:
    """Decorate a ``getitem_<property>`` (or a batch loader ``getitems_<property>``) so its output is normalized.

    A batch loader's tensor is normalized in one call, its list (one value per sample) value by value.

    ``@with_normalizers`` uses the property name as key; ``@with_normalizers("key")`` names the key. With
    ``required=False`` a property without a configured normalizer is returned raw (built-in datasets do this
    so that they work before statistics exist); otherwise a missing normalizer is a ``KeyError``.
    """
    if callable(key):
        return _decorate(key, None, required)
    return functools.partial(_decorate, key=key, required=required)


def _decorate(fn: _Getitem, key: str | None, required: bool) -> _Getitem:
    name = fn.__name__
    if key is None:
        prefix = next((p for p in (_BATCH_PREFIX, _PREFIX) if name.startswith(p)), None)
        if prefix is None:
            raise TypeError(
                f"with_normalizers needs a key for '{name}' (not a getitem_<property> or getitems_<property> "
                "method)"
            )
        key = name[len(prefix):]
    norm_key: str = key

    batch_loader = name.startswith(_BATCH_PREFIX)

    # The same wrapper serves batch loaders: normalizers broadcast against the last dimension, so a batch
    # ``(B, ...)`` is normalized value for value as its samples are; a list (one value per sample, a ragged
    # batch) is normalized sample by sample.
    @functools.wraps(fn)
    def getitem(self: Dataset, idx: Any) -> Any:
        value = fn(self, idx)
        if batch_loader and isinstance(value, list):
            return [self.apply_normalizer(norm_key, item, required=required) for item in value]
        return self.apply_normalizer(norm_key, value, required=required)

    getitem.normalization_key = norm_key  # type: ignore[attr-defined]
    getitem.normalizer_required = required  # type: ignore[attr-defined]
    return getitem  # type: ignore[return-value]


def build_dataset(
    config: DatasetBaseConfig,
    *,
    statistics: Mapping[str, list[float]] | None = None,
    normalizers: Mapping[str, Any] | None = None,
    name: str | None = None,
    normalize: bool = True,
    seed: int | None = None,
) -> Any:
    """Build a dataset from its config: registry, normalizers, property selection, then wrappers in order.

    ``statistics`` (the config's ``dataset_statistics``) is stored on the dataset; ``normalizers`` (the
    config's top-level ``dataset_normalizer``) adds shared normalizers for keys the dataset does not
    configure; ``name`` (the key under ``datasets``) names it in messages; ``normalize=False`` returns raw
    values (used by the statistics tool). Returns the outermost view (the dataset itself if nothing wraps it).

    Wrappers and pipeline steps without their own seed draw it from ``torch.initial_seed()``. Pass the run's
    base ``seed`` to build under exactly that seed (the same on every rank, so that e.g. a shuffled order agrees
    between distributed processes); the global RNG state is left as it was.
    """
    if seed is None:
        return _build(config, statistics, normalizers, name, normalize)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return _build(config, statistics, normalizers, name, normalize)


def _build(
    config: DatasetBaseConfig,
    statistics: Mapping[str, list[float]] | None,
    normalizers: Mapping[str, Any] | None,
    name: str | None,
    normalize: bool,
) -> Any:
    from noether.core.registry import get_registry

    registry = get_registry()
    try:
        dataset = registry.build("dataset", config)
        if name is not None:
            dataset.name = name
        dataset.statistics = dict(statistics or {})
        if normalize:
            dataset.add_normalizers(normalizers)
            dataset.check_normalizers()
        else:
            dataset.normalization_enabled = False
    except ConfigError as exc:
        # Problems found while building (e.g. in the untyped 'pipeline' mapping) or in the normalizer keys are
        # located in the config.
        raise exc.prefixed(("datasets", name)) if name is not None else exc from None
    result: Any = dataset
    if config.included_properties is not None or config.excluded_properties is not None:
        selected = select_properties(
            dataset.properties, config.included_properties, config.excluded_properties, dataset.label
        )
        result = PropertySubsetWrapper(dataset, selected)
    for wrapper_config in config.dataset_wrappers or ():
        result = registry.build("wrapper", wrapper_config, dataset=result)
    return result
