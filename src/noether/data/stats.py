"""Dataset statistics (§8.5): one streaming pass, Welford moments in float64, per feature.

The feature dimension of a sample tensor is its last axis, the axis the normalizers broadcast against: a
``(points, C)`` array has C features with one observation per point, a per-sample vector ``(C,)`` (such as
``conditions``) has C features with one observation per sample, and a 0-D value is one feature. Every other
axis is flattened into observations. Results are written in the form ``dataset_statistics`` and the normalizer
configs take: always lists, one entry per feature.

The pass reads up to :data:`~noether.data.chunks.CHUNK` samples (about
:data:`~noether.data.chunks.CHUNK_BYTES` of them) per ``__getitems__`` call and
adds up a property's observations of the whole chunk at once where its values stack (a batch loader's tensor,
or per-sample values of one shape and type), else value by value (ragged point clouds): the same statistics
up to rounding, as the moments merge associatively.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np
import torch
from tqdm import tqdm

from noether.data.batch import SampleBatch
from noether.data.chunks import Chunks, chunk_size

#: Kind string of the normalizer suggested for each property.
MEAN_STD_KIND = "noether.data.preprocessors.normalizers.MeanStdNormalization"


def _batch_observations(column: torch.Tensor | np.ndarray) -> np.ndarray:
    """A batched column ``(batch, *sample shape)`` as the observations of all its samples: the same rows
    :func:`as_observations` gives each sample, one sample after the other."""
    if isinstance(column, torch.Tensor):
        array = column.detach().to("cpu", torch.float64).numpy()
    else:
        array = np.asarray(column, dtype=np.float64)
    if array.ndim == 1:  # one 0-D value per sample: one feature
        return array.reshape(-1, 1)
    return array.reshape(-1, array.shape[-1])


def _stacked(values: list[Any]) -> torch.Tensor | np.ndarray | None:
    """``values`` (one per sample) as one column with the samples as first axis, or ``None`` where they do not
    stack: tensors or NumPy arrays of one shape and dtype, or plain Python numbers."""
    if not values:
        return None
    first = values[0]
    if isinstance(first, torch.Tensor):
        if all(isinstance(v, torch.Tensor) and v.shape == first.shape and v.dtype == first.dtype for v in values):
            return torch.stack(values)
        return None
    if isinstance(first, np.ndarray):
        if first.dtype.kind in "biuf" and all(
            isinstance(v, np.ndarray) and v.shape == first.shape and v.dtype == first.dtype for v in values
        ):
            return np.stack(values)
        return None
    kind = type(first)
    if kind in (int, float, bool) and all(type(v) is kind for v in values):
        return np.asarray(values)
    return None


def as_observations(value: Any) -> np.ndarray:
    """A sample value as a float64 matrix ``(observations, features)``; the last axis is the feature axis.

    The last axis, not dim 1 (upstream's rule, §8.5), because the normalizers broadcast their statistics
    against the last axis: statistics along any other axis could not be used to normalize the same tensor.
    """
    if isinstance(value, torch.Tensor):
        array = value.detach().to("cpu", torch.float64).numpy()
    else:
        array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return array.reshape(1, 1)
    return array.reshape(-1, array.shape[-1])


class RunningMoments:
    """Count, mean, M2, min and max per feature, merged batch by batch (Chan et al.'s parallel Welford)."""

    def __init__(self, log_scale: bool = False) -> None:
        self.log_scale = log_scale
        self.count = 0
        self.mean = np.zeros(0)
        self.m2 = np.zeros(0)
        self.min = np.zeros(0)
        self.max = np.zeros(0)

    @property
    def num_features(self) -> int:
        """Features seen so far (0 before the first push)."""
        return int(self.mean.shape[0])

    def push_tensor(self, value: Any) -> None:
        """Add every observation of one sample value."""
        obs = as_observations(value)
        if self.log_scale:
            obs = np.sign(obs) * np.log1p(np.abs(obs))
        n = obs.shape[0]
        if n == 0:
            return
        if self.count and obs.shape[1] != self.num_features:
            raise ValueError(
                f"expected {self.num_features} features (the last axis), got {obs.shape[1]}; a per-point "
                f"property needs a trailing feature axis, e.g. shape (points, 1) for a scalar field"
            )
        batch_mean = obs.mean(axis=0)
        batch_m2 = ((obs - batch_mean) ** 2).sum(axis=0)
        if self.count == 0:
            self.mean, self.m2 = batch_mean, batch_m2
            self.min, self.max = obs.min(axis=0), obs.max(axis=0)
            self.count = n
            return
        total = self.count + n
        delta = batch_mean - self.mean
        self.mean = self.mean + delta * (n / total)
        self.m2 = self.m2 + batch_m2 + delta**2 * (self.count * n / total)
        self.min = np.minimum(self.min, obs.min(axis=0))
        self.max = np.maximum(self.max, obs.max(axis=0))
        self.count = total

    @property
    def var(self) -> np.ndarray:
        """Sample variance ``M2 / (n - 1)`` (0 for a single observation)."""
        return self.m2 / (self.count - 1) if self.count > 1 else np.zeros_like(self.m2)

    @property
    def std(self) -> np.ndarray:
        """Sample standard deviation."""
        return np.sqrt(self.var)


@attrs.frozen
class PropertyStatistics:
    """Statistics of one property; every field except ``count`` has one entry per feature."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    var: tuple[float, ...]
    min: tuple[float, ...]
    max: tuple[float, ...]
    count: int
    log_scale: bool = False
    #: Whether the values are floating point (integer properties get no suggested normalizer).
    is_float: bool = True

    @classmethod
    def from_moments(cls, moments: RunningMoments, is_float: bool = True) -> PropertyStatistics:
        """Freeze a :class:`RunningMoments`."""

        def floats(a: np.ndarray) -> tuple[float, ...]:
            return tuple(float(v) for v in a)

        return cls(floats(moments.mean), floats(moments.std), floats(moments.var), floats(moments.min),
                   floats(moments.max), moments.count, moments.log_scale, is_float)


def _is_float(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return value.is_floating_point()
    return np.asarray(value).dtype.kind == "f"


def _is_numeric(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    kind = np.asarray(value).dtype.kind
    return kind in "biuf"


def _identity(item: Any) -> Any:
    return item


@attrs.frozen
class StatisticsResult:
    """Statistics per property, plus the samples that failed (only with ``skip_errors``)."""

    properties: dict[str, PropertyStatistics]
    num_samples: int
    errors: tuple[tuple[int, str], ...] = ()


class _Moments:
    """The moments of one pass, property by property: what :func:`compute_statistics` adds samples to."""

    def __init__(self, label: str, wanted: set[str] | None, excluded: set[str], logs: set[str]) -> None:
        self.label, self.wanted, self.excluded, self.logs = label, wanted, excluded, logs
        self.moments: dict[str, RunningMoments] = {}
        self.floats: dict[str, bool] = {}
        self.seen = 0

    def add_samples(self, samples: list[tuple[int, dict[str, Any]]]) -> None:
        """Sample dicts (as ``dataset[index]`` returns them), in order: a property whose values have one shape
        and type in all of them is added up at once, any other value by value."""
        if not samples:
            return
        keys: dict[str, None] = {}
        for index, sample in samples:
            self._check_keys(sample, f"sample {index}")
            keys.update(dict.fromkeys(sample))
        if not self.seen:
            self._check_names(keys)
        where = f"samples {samples[0][0]}-{samples[-1][0]}" if len(samples) > 1 else f"sample {samples[0][0]}"
        for key in keys:
            if not self._counts(key):
                continue
            values = [sample[key] for _, sample in samples if key in sample]
            column = _stacked(values) if len(values) == len(samples) else None
            if column is not None:
                self._push(key, column, where, batched=True)
            else:
                for index, sample in samples:
                    if key in sample:
                        self._push(key, sample[key], f"sample {index}")
        self.seen += len(samples)

    def add_batch(self, first: int, batch: SampleBatch) -> None:
        """The samples ``first, first + 1, ...`` held by column, each column at once where its values stack."""
        where = f"samples {first}-{first + len(batch) - 1}"
        self._check_keys(batch.columns, where)
        if not self.seen:
            self._check_names(batch.columns)
        for key, column in batch.columns.items():
            if not self._counts(key):
                continue
            stacked = column if isinstance(column, torch.Tensor) else _stacked(column)
            if stacked is not None:
                self._push(key, stacked, where, batched=True)
            else:
                for position, value in enumerate(column):
                    self._push(key, value, f"sample {first + position}")
        self.seen += len(batch)

    def _check_keys(self, keys: Iterable[str], where: str) -> None:
        missing = sorted(self.wanted - set(keys)) if self.wanted is not None else []
        if missing:
            verb = "have" if where.startswith("samples") else "has"
            raise KeyError(f"dataset {self.label}: {where} {verb} no {', '.join(missing)}; keys: {', '.join(keys)}")

    def _check_names(self, keys: Iterable[str]) -> None:
        """At the first chunk: every name given to ``log_scale`` and ``exclude`` is a key of the samples (a typo
        stops the pass here, not after it)."""
        present = set(keys) | {"index"}
        for option, names in (("log_scale", self.logs), ("exclude", self.excluded)):
            unknown = sorted(names - present)
            if unknown:
                raise KeyError(f"{option} names unknown properties: {', '.join(unknown)}; the samples have: "
                               f"{', '.join(sorted(present - {'index'}))}")

    def _counts(self, key: str) -> bool:
        """Whether ``key`` is one of the properties measured (not excluded, and asked for)."""
        return key not in self.excluded and (self.wanted is None or key in self.wanted)

    def _push(self, key: str, value: Any, where: str, batched: bool = False) -> None:
        if not self._counts(key) or not _is_numeric(value):
            return
        stats = self.moments.get(key)
        if stats is None:
            stats = self.moments[key] = RunningMoments(log_scale=key in self.logs)
            one = value[0] if batched else value
            self.floats[key] = _is_float(one)
            _warn_if_long_vector(self.label, key, one)
        try:
            stats.push_tensor(_batch_observations(value) if batched else value)
        except ValueError as exc:
            raise ValueError(f"dataset {self.label}: property '{key}' of {where}: {exc}") from None


def compute_statistics(
    dataset: Any,
    *,
    properties: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    log_scale: Iterable[str] = (),
    num_workers: int = 0,
    progress: bool = True,
    skip_errors: bool = False,
) -> StatisticsResult:
    """Stream ``dataset`` once and return per-property statistics.

    ``properties`` restricts the properties (default: every key except ``index``), ``exclude`` removes some,
    ``log_scale`` computes the statistics of ``sign(x) log1p(|x|)`` for the named ones. A failing sample is an
    error (upstream skipped it silently, §10.18) unless ``skip_errors``; then it is listed in the result.
    """
    label = getattr(dataset, "label", type(dataset).__name__)
    logs = set(log_scale)
    pass_ = _Moments(label, None if properties is None else set(properties), set(exclude) | {"index"}, logs)
    errors: list[tuple[int, str]] = []
    source = Chunks(dataset, skip_errors, chunk_size(dataset))
    iterator: Iterable[list[tuple[int, Any]]]
    if num_workers > 0:
        iterator = torch.utils.data.DataLoader(
            source, batch_size=None, shuffle=False, num_workers=num_workers, collate_fn=_identity
        )
    else:
        iterator = (source[c] for c in range(len(source)))
    with tqdm(total=len(dataset), desc=f"statistics of {label}", unit="sample", disable=not progress,
              file=sys.stderr) as bar:
        for chunk in iterator:
            samples = []
            for index, sample in chunk:
                if isinstance(sample, SampleBatch):
                    pass_.add_batch(index, sample)
                    bar.update(len(sample))
                elif isinstance(sample, str):
                    errors.append((index, sample))
                    print(f"skipped sample {index}: {sample}", file=sys.stderr)
                    bar.update(1)
                else:
                    samples.append((index, sample))
            pass_.add_samples(samples)
            bar.update(len(samples))
    moments, floats, seen = pass_.moments, pass_.floats, pass_.seen
    unmeasured = sorted(logs - set(moments))
    if unmeasured and seen:  # (names no sample has stopped the pass at its first chunk)
        raise KeyError(f"log_scale names properties that were not measured (excluded, not asked for, or not "
                       f"numbers): {', '.join(unmeasured)}")
    result = {key: PropertyStatistics.from_moments(moments[key], floats[key]) for key in sorted(moments)}
    return StatisticsResult(result, seen, tuple(errors))


#: A 1-D property longer than this is more likely points of one scalar than a per-sample vector.
_LONG_VECTOR = 16


def _warn_if_long_vector(label: str, key: str, value: Any) -> None:
    """Warn when a 1-D property is long: the last-axis rule counts it as that many features."""
    shape = tuple(getattr(value, "shape", np.shape(value)))
    if len(shape) == 1 and shape[0] > _LONG_VECTOR:
        print(
            f"warning: dataset {label}: property '{key}' is 1-D of length {shape[0]}, counted as {shape[0]} "
            "features (a per-sample vector); if these are points of one scalar field, return shape (points, 1)",
            file=sys.stderr,
        )


def statistics_key(prop: str, stat: str, log_scale: bool) -> str:
    """The ``dataset_statistics`` key of one statistic: ``<prop>[_logscale]_<stat>``."""
    return f"{prop}_logscale_{stat}" if log_scale else f"{prop}_{stat}"


def _clean(value: float) -> float | str:
    # YAML has no NaN/inf literals that every reader accepts; keep them visible as strings.
    return value if math.isfinite(value) else str(value)


def statistics_document(result: StatisticsResult) -> dict[str, Any]:
    """The statistics as config sections: ``dataset_statistics`` and a ``dataset_normalizer`` suggestion.

    ``dataset_statistics`` maps ``<prop>_{mean,std,min,max,count}`` to lists (one entry per feature; count is
    a one-element list). ``dataset_normalizer`` holds a mean/std normalizer per floating-point property, with
    a zero std replaced by 1 (a constant feature only needs centring, and the config rejects std = 0).
    """
    statistics: dict[str, list[Any]] = {}
    normalizers: dict[str, list[dict[str, Any]]] = {}
    for prop, stats in result.properties.items():
        for stat in ("mean", "std", "min", "max"):
            values = getattr(stats, stat)
            statistics[statistics_key(prop, stat, stats.log_scale)] = [_clean(v) for v in values]
        statistics[statistics_key(prop, "count", stats.log_scale)] = [stats.count]
        if stats.is_float and stats.count > 0:
            normalizers[prop] = [{
                "kind": MEAN_STD_KIND,
                "mean": [_clean(v) for v in stats.mean],
                "std": [_clean(v) if v > 0 else 1.0 for v in stats.std],
                "logscale": stats.log_scale,
            }]
    return {"dataset_statistics": statistics, "dataset_normalizer": normalizers}


def format_table(result: StatisticsResult, max_features: int = 4) -> str:
    """A short human-readable summary (first ``max_features`` features of each property)."""

    def show(values: Sequence[float]) -> str:
        text = ", ".join(f"{v:.4g}" for v in values[:max_features])
        return f"[{text}{', ...' if len(values) > max_features else ''}]"

    lines = [f"{'property':<24} {'features':>8} {'count':>10}  mean / std / min / max"]
    for prop, s in result.properties.items():
        name = prop + (" (log)" if s.log_scale else "")
        lines.append(f"{name:<24} {len(s.mean):>8} {s.count:>10}  {show(s.mean)} / {show(s.std)} / "
                     f"{show(s.min)} / {show(s.max)}")
    return "\n".join(lines)
