"""The batched data path as a check: a config's batches as training loads them, against sample by sample.

A dataset that serves whole batches (``getitems_<property>``, a wrapper's index map, a processor's
``process_batch``, :meth:`~noether.data.arrays.ArrayDataset.collated_loader`) promises the batches of the
per-sample path (``dataset[i]`` for every index, then the pipeline): the same keys, dtypes, shapes and values.
:func:`verify_batches` checks that promise for the first batches of a run, at two stages: the samples the
dataset returns (``__getitems__`` against ``dataset[i]``, property by property: a difference names the sample),
and the finished batches (what the trainer receives, against the pipeline applied to the single samples).
It also times each path against sample by sample (what the batch loaders save).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs
import numpy as np
import torch

from noether.core.schemas import ConfigSchema
from noether.data.batch import BatchIndices, SampleBatch

#: The reference: ``dataset[i]`` for every index of the batch, then the pipeline.
SAMPLE_BY_SAMPLE = "sample by sample"
#: The paths compared against it, as the report names them.
TRAINING_PATH = "the training path"
GETITEMS_PATH = "__getitems__ + collate_fn"


@attrs.define
class BatchReport:
    """Outcome of :func:`verify_batches`."""

    #: The dataset as messages name it (its key, and its class when that differs).
    dataset: str
    #: Batches and samples compared.
    batches: int
    samples: int
    #: How the batches were loaded (the paths compared against sample by sample).
    paths: list[str]
    #: Keys of the batches, and the properties the dataset returned as one tensor for the whole batch (a batch
    #: loader's list, one value per sample, is not counted: ragged point sets come so).
    keys: list[str]
    batched_properties: list[str]
    differences: list[str] = attrs.field(factory=list)
    #: Milliseconds per batch, over the compared batches: each path, and ``"sample by sample"``.
    ms_per_batch: dict[str, float] = attrs.field(factory=dict)

    @property
    def identical(self) -> bool:
        """Whether nothing differed."""
        return not self.differences

    def text(self) -> str:
        """A human-readable report."""
        by_column = ", ".join(self.batched_properties) or "none"
        batches = f"{self.batches} batch{'es' if self.batches != 1 else ''}"
        head = (f"verify-batches: dataset {self.dataset}, {batches} ({self.samples} samples) through "
                f"{' and '.join(self.paths)}, against the same samples one by one\n"
                f"properties loaded as one tensor per batch: {by_column}")
        if self.ms_per_batch:
            reference = self.ms_per_batch.get(SAMPLE_BY_SAMPLE)
            times = [f"{path} {ms:.2f}" + (f" (speed-up {reference / ms:.2f}x)" if reference and ms and
                                           path != SAMPLE_BY_SAMPLE else "")
                     for path, ms in self.ms_per_batch.items()]
            head += "\nms per batch (these batches, the first one's warm-up included): " + ", ".join(times)
        if self.identical:
            return f"{head}\nIDENTICAL: {', '.join(self.keys)}"
        return f"{head}\nDIFFERENT ({len(self.differences)}):\n" + "\n".join(f"  {d}" for d in self.differences)


def verify_batches(config: ConfigSchema, *, dataset_key: str | None = None, batches: int = 8,
                   start_update: int = 0, batch_size: int | None = None, limit: int = 10) -> BatchReport:
    """Load the first ``batches`` batches of a dataset both ways and compare them (at most ``limit``
    differences are reported).

    The training dataset is read in the run's order from ``start_update`` on (its sampler, seed and
    micro-batch size, each epoch announced to the pipeline as training does); another dataset in order,
    as evaluation reads it, ``batch_size`` samples at a time (default: the training micro-batch size).
    """
    from noether.data.dataset import build_dataset
    from noether.training.batching import plan_batches
    from noether.training.rng import RngSnapshot, seed_everything

    key = dataset_key or config.train_dataset_key
    if key not in config.datasets:
        raise KeyError(f"no dataset '{key}' in the config; datasets: {', '.join(config.datasets)}")
    if batches < 1:
        raise ValueError(f"batches must be at least 1, got {batches}")
    trainer = config.trainer
    plan = plan_batches(effective_batch_size=trainer.effective_batch_size, max_batch_size=trainer.max_batch_size,
                        world_size=1, disable_gradient_accumulation=trainer.disable_gradient_accumulation,
                        eval_only=False)
    caller_streams = RngSnapshot.take()  # a Python caller's random streams are left as they were
    try:
        seed_everything(config.seed)  # as the run seeds before it builds its datasets
        dataset = build_dataset(config.datasets[key], statistics=config.dataset_statistics,
                                normalizers=config.dataset_normalizer, name=key, seed=config.seed)
        label = str(getattr(dataset, "label", repr(key)))
        training = key == config.train_dataset_key
        if training:
            index_batches = _training_batches(dataset, config.seed, trainer.effective_batch_size,
                                              plan.accumulation_steps, start_update, batches)
        else:
            index_batches = _sequential_batches(len(dataset), batch_size or plan.micro_batch_size, batches)
        return _compare(dataset, label, index_batches, training, limit)
    finally:
        caller_streams.restore()


def _training_batches(dataset: Any, seed: int, effective_batch_size: int, accumulation_steps: int,
                      start_update: int, count: int) -> Iterator[tuple[int, BatchIndices]]:
    """``(epoch, indices)`` of the run's first ``count`` micro-batches from ``start_update`` (one process)."""
    from noether.training.sampler import ResumableBatchSampler

    update, produced = start_update, 0
    while True:
        sampler = ResumableBatchSampler(len(dataset), effective_batch_size=effective_batch_size,
                                        accumulation_steps=accumulation_steps, seed=seed, start_update=update,
                                        single_epoch=True)
        epoch = update // sampler.updates_per_epoch
        for indices in sampler.index_batches():
            yield epoch, indices
            produced += 1
            if produced == count:
                return
        update = (epoch + 1) * sampler.updates_per_epoch


def _sequential_batches(length: int, batch_size: int, count: int) -> Iterator[tuple[int, BatchIndices]]:
    for start in range(0, min(length, batch_size * count), batch_size):
        yield 0, BatchIndices(range(start, min(start + batch_size, length)))


def _compare(dataset: Any, label: str, index_batches: Iterator[tuple[int, BatchIndices]], training: bool,
             limit: int) -> BatchReport:
    from noether.training.loading import fetcher

    collate: Callable[[Any], Any] = getattr(dataset, "collate_fn", None) or torch.utils.data.default_collate
    set_epoch = getattr(collate, "set_epoch", None)
    getitems = getattr(dataset, "__getitems__", None)
    # What the trainer's main process calls (a dataset's own gather of finished batches included), and what a
    # DataLoader (workers, evaluation) calls: __getitems__, then the collate function.
    training_fetch = fetcher(dataset) if training else None
    paths = [*([TRAINING_PATH] if training else []), *([GETITEMS_PATH] if getitems is not None else [])]
    seconds = dict.fromkeys([*paths, SAMPLE_BY_SAMPLE], 0.0)
    clock = time.perf_counter
    differences: list[str] = []
    keys: list[str] = []
    by_column: set[str] = set()
    batch_count = samples = 0
    for number, (epoch, indices) in enumerate(index_batches):
        if set_epoch is not None:
            set_epoch(epoch)
        where = f"batch {number} (epoch {epoch})"
        start = clock()
        singles = [dataset[i] for i in indices]
        loaded = clock() - start
        batches: dict[str, Any] = {}
        if training_fetch is not None:
            start = clock()
            batches[TRAINING_PATH] = training_fetch(indices)
            seconds[TRAINING_PATH] += clock() - start
        if getitems is not None:
            start = clock()
            served = getitems(list(indices))
            served_seconds = clock() - start
            if isinstance(served, SampleBatch):
                by_column.update(k for k in served.columns if served.is_batched(k))
            differences += _sample_differences(served, singles, indices, where)  # (reads, before collating)
            start = clock()
            batches[GETITEMS_PATH] = collate(served)
            seconds[GETITEMS_PATH] += served_seconds + clock() - start
        start = clock()
        reference = collate(singles)
        seconds[SAMPLE_BY_SAMPLE] += loaded + clock() - start
        keys = list(reference) if isinstance(reference, dict) else keys
        for path, batch in batches.items():
            difference = describe_difference(batch, reference, "batch", len(indices))
            if difference is not None:
                differences.append(f"{where}, {path}: {difference}")
        batch_count += 1
        samples += len(indices)
        if len(differences) >= limit:
            break
    # A dataset without __getitems__ (not a noether one) loads sample by sample on every path: nothing to compare.
    names = paths or ["dataset[i] alone (it has no __getitems__: every path loads sample by sample)"]
    ms = {path: 1000 * total / max(batch_count, 1) for path, total in seconds.items()}
    return BatchReport(dataset=label, batches=batch_count, samples=samples, paths=names, keys=keys,
                       batched_properties=sorted(by_column), differences=differences[:limit], ms_per_batch=ms)


def _sample_differences(served: Sequence[dict[str, Any]], singles: list[dict[str, Any]],
                        indices: Sequence[int], where: str) -> list[str]:
    if len(served) != len(singles):
        return [f"{where}: __getitems__ returned {len(served)} samples for {len(singles)} indices"]
    found = []
    for position, (got, expected) in enumerate(zip(served, singles, strict=True)):
        difference = describe_difference(got, expected, "sample", None)
        if difference is not None:
            found.append(f"{where}, sample {indices[position]} (position {position}), __getitems__ against "
                         f"dataset[{indices[position]}]: {difference}")
    return found


def describe_difference(got: Any, expected: Any, what: str, batch_size: int | None) -> str | None:
    """What differs between two samples or batches (``None`` when they are equal, NaN equal to NaN).

    Dicts are compared key by key (their order too), tensors and arrays by dtype, shape and value, lists
    element by element. With ``batch_size``, a tensor whose first dimension is the batch names the position.
    """
    if isinstance(expected, dict) and isinstance(got, dict):
        if list(got) != list(expected):
            return f"the {what} has keys {list(got)}, sample by sample {list(expected)}"
        for key in expected:
            inner = describe_difference(got[key], expected[key], what, batch_size)
            if inner is not None:
                return f"'{key}': {inner}"
        return None
    if type(got) is not type(expected):
        return f"a {type(got).__name__}, sample by sample a {type(expected).__name__}"
    if isinstance(expected, np.ndarray):
        return _tensor_difference(torch.as_tensor(got), torch.as_tensor(expected), batch_size)
    if isinstance(expected, torch.Tensor):
        return _tensor_difference(got, expected, batch_size)
    if isinstance(expected, list | tuple):
        if len(got) != len(expected):
            return f"{len(got)} elements, sample by sample {len(expected)}"
        for position, (a, b) in enumerate(zip(got, expected, strict=True)):
            inner = describe_difference(a, b, what, None)
            if inner is not None:
                return f"element {position}: {inner}"
        return None
    if got != expected and not (_is_nan(got) and _is_nan(expected)):
        return f"{got!r}, sample by sample {expected!r}"
    return None


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _tensor_difference(got: torch.Tensor, expected: torch.Tensor, batch_size: int | None) -> str | None:
    if got.dtype != expected.dtype:
        return f"dtype {got.dtype}, sample by sample {expected.dtype}"
    if got.shape != expected.shape:
        return f"shape {tuple(got.shape)}, sample by sample {tuple(expected.shape)}"
    same = got == expected
    if got.is_floating_point() or got.is_complex():
        same |= got.isnan() & expected.isnan()
    if bool(same.all()):
        return None
    first = tuple(int(i) for i in (~same).nonzero()[0])
    at = f"element {list(first)}"
    if batch_size is not None and got.dim() > 0 and got.shape[0] == batch_size:
        at += f" (sample at position {first[0]} of the batch)"
    text = f"{int((~same).sum())} of {same.numel()} values differ; first at {at}: {got[first].item()!r}, " \
           f"sample by sample {expected[first].item()!r}"
    if got.is_floating_point():
        text += f"; max |difference| {float((got.double() - expected.double()).abs().nan_to_num(nan=0.0).max()):.6g}"
    return text


__all__ = ["BatchReport", "describe_difference", "verify_batches"]
