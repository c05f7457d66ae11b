"""Pipelines (§8.4): per-sample processors, collators, batch processors; the DataLoader's ``collate_fn``.

``DatasetBaseConfig.pipeline`` is ``None`` (stack every key) or a mapping with a ``kind`` of the ``pipeline``
family: a whole ``noether.data.Pipeline``, or a single collator or processor (completed with defaults).

A pipeline takes a list of sample dicts or a column-wise :class:`~noether.data.batch.SampleBatch` (from
datasets with batch loaders); the latter is processed and collated by column while every step has a batched
form (:mod:`noether.data.columnar`), and sample by sample from the first step that has none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from noether.core.errors import ConfigError, Issue, describe_value
from noether.core.schemas._base import Schema
from noether.data.batch import SampleBatch, source_of
from noether.data.collators import Collator, DefaultCollator
from noether.data.columnar import BatchStep, batch_step
from noether.data.processors import Processor
from noether.data.schemas import AnyPipelineStep, PipelineConfig


def _build_step(config: Any, role: str, index: int, expected: type) -> Any:
    from noether.core.registry import get_registry

    step = get_registry().build("pipeline", config)
    if not isinstance(step, expected):
        raise TypeError(
            f"pipeline {role}[{index}]: kind '{config.kind}' builds a {type(step).__name__}, "
            f"which cannot be used as a {role[:-1].replace('_', ' ')}"
        )
    return step


class Pipeline:
    """A collate function: ``pipeline(list_of_samples) -> batch``.

    Samples are processed in place (their dicts are fresh per ``dataset[idx]``; tensors are never modified),
    so no sample is deep-copied.
    """

    def __init__(
        self,
        config: PipelineConfig | None = None,
        *,
        sample_processors: Sequence[Processor] = (),
        collators: Sequence[Collator] = (),
        batch_processors: Sequence[Processor] = (),
    ) -> None:
        self.config = config or PipelineConfig()
        cfg = self.config
        self.sample_processors = tuple(sample_processors) + tuple(
            _build_step(c, "sample_processors", i, Processor) for i, c in enumerate(cfg.sample_processors)
        )
        all_collators = tuple(collators) + tuple(
            _build_step(c, "collators", i, Collator) for i, c in enumerate(cfg.collators)
        )
        self.batch_processors = tuple(batch_processors) + tuple(
            _build_step(c, "batch_processors", i, Processor) for i, c in enumerate(cfg.batch_processors)
        )
        self.batch_steps: tuple[BatchStep | None, ...] = tuple(batch_step(p) for p in self.sample_processors)
        self.collators = tuple(c for c in all_collators if c.items is not None)
        rest = [c for c in all_collators if c.items is None]
        if len(rest) > 1:
            raise ValueError("a pipeline may have one collator without 'items' (it takes the other keys)")
        self.rest_collator: Collator = rest[0] if rest else DefaultCollator()
        self.claimed: frozenset[str] = frozenset()
        produced: dict[str, str] = {}
        for collator in self.collators:
            for item in collator.items or ():
                if item in self.claimed:
                    raise ValueError(f"pipeline: key '{item}' is claimed by two collators")
                for out in collator.output_keys(item):
                    if out in produced:
                        raise ValueError(
                            f"pipeline: batch key '{out}' is produced twice (from {produced[out]} and {item})"
                        )
                    produced[out] = item
            self.claimed |= frozenset(collator.items or ())
        #: Whether the pipeline does nothing but stack every key with :class:`DefaultCollator` (a batch that is
        #: already by column then goes straight to it; datasets may then gather a finished batch themselves).
        self.only_stacks = type(self.rest_collator) is DefaultCollator and not (
            self.sample_processors or self.collators or self.batch_processors)

    def set_epoch(self, epoch: int) -> None:
        """Tell random processors the epoch (call before creating the epoch's DataLoader iterator)."""
        for processor in self.sample_processors + self.batch_processors:
            processor.set_epoch(epoch)

    def __call__(self, samples: Sequence[dict[str, Any]] | SampleBatch) -> dict[str, Any]:
        """Turn samples (a list of sample dicts, or a column-wise batch) into one batch."""
        if isinstance(samples, SampleBatch):
            return self._from_columns(samples)
        return self._from_samples(samples, 0)

    def _from_columns(self, columns: SampleBatch) -> dict[str, Any]:
        if self.only_stacks:
            return self.rest_collator.collate_columns(columns, list(columns.columns)) if columns.size else {}
        for position, step in enumerate(self.batch_steps):
            processed = None if step is None else step(columns)
            if processed is None:
                return self._from_samples(columns.samples(), position)
            if not isinstance(processed, SampleBatch) or processed.size != columns.size:
                self._wrong_batch(position, processed, columns.size)
            columns = processed
        if not len(columns):
            return {}
        batch: dict[str, Any] = {}
        for collator in self.collators:
            batch.update(collator.collate_columns(columns, collator.items or ()))
        rest = [key for key in columns.columns if key not in self.claimed]
        if rest:
            self._merge(batch, self.rest_collator.collate_columns(columns, rest))
        return self._finish(batch)

    def _wrong_batch(self, position: int, processed: Any, size: int) -> None:
        """Name a batched step that returned something else than its batch of ``size`` samples."""
        processor = self.sample_processors[position]
        step = f"sample processor {position} ({type(processor).__name__})"
        own = getattr(processor, "process_batch", None)
        if own is not None:
            step += f": process_batch (at {source_of(own)})"
        if not isinstance(processed, SampleBatch):
            raise TypeError(f"pipeline: {step} returned a {type(processed).__name__}; it must return the SampleBatch "
                            "it processed, or None to have this batch processed sample by sample")
        raise ValueError(f"pipeline: {step} returned {processed.size} samples for {size}; a batched step keeps "
                         "every sample, as its per-sample form does")

    def _from_samples(self, samples: Sequence[dict[str, Any]], first_step: int) -> dict[str, Any]:
        processors = self.sample_processors[first_step:]
        if processors:
            processed = []
            for sample in samples:
                for processor in processors:
                    sample = processor(sample)
                processed.append(sample)
            samples = processed
        if not samples:
            return {}
        batch: dict[str, Any] = {}
        for collator in self.collators:
            batch.update(collator.collate(samples, collator.items or ()))
        rest = [key for key in samples[0] if key not in self.claimed]
        if rest:
            self._merge(batch, self.rest_collator.collate(samples, rest))
        return self._finish(batch)

    @staticmethod
    def _merge(batch: dict[str, Any], out: dict[str, Any]) -> None:
        clash = batch.keys() & out.keys()
        if clash:
            raise ValueError(f"pipeline: batch key(s) {sorted(clash)} produced by two collators")
        batch.update(out)

    def _finish(self, batch: dict[str, Any]) -> dict[str, Any]:
        for processor in self.batch_processors:
            batch = processor(batch)
        return batch


def structure_pipeline(
    value: Mapping[str, Any] | Schema, path: tuple[str | int, ...] = ("pipeline",)
) -> Schema:
    """A pipeline config from a YAML mapping (validated by the converter; errors carry ``path``)."""
    if isinstance(value, Schema):
        return value
    from noether.core.config.converter import structure

    try:
        config: Schema = structure(value, AnyPipelineStep)
    except ConfigError as exc:
        raise exc.prefixed(path) from None
    return config


def build_pipeline(config: Any, *, path: tuple[str | int, ...] = ("pipeline",)) -> Pipeline:
    """The collate function of a dataset's ``pipeline`` value (``None``: stack every key)."""
    if config is None:
        return Pipeline()
    if not isinstance(config, Mapping | Schema):
        raise ConfigError([Issue(path, f"expected a mapping with 'kind', got {describe_value(config)}")])
    schema = structure_pipeline(config, path)
    if isinstance(schema, PipelineConfig):
        return Pipeline(schema)
    from noether.core.registry import get_registry

    step = get_registry().build("pipeline", schema)
    if isinstance(step, Pipeline):
        return step
    if isinstance(step, Collator):
        return Pipeline(collators=[step])
    if isinstance(step, Processor):
        return Pipeline(sample_processors=[step])
    raise TypeError(f"pipeline kind '{schema.kind}' builds a {type(step).__name__}, not a pipeline step")  # type: ignore[attr-defined]
