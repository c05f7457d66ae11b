"""``CfdMetricsCallback``: field errors and coefficient agreement on a dataset, in physical units.

A thin periodic data-iterator callback over the pure functions of :mod:`noether_cfd.metrics.evaluation`; it
uses only the engine's :class:`~noether.core.callbacks.context.CallbackContext` (``self.ctx``).
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Iterator
from typing import Any

import torch

from noether.core.callbacks.data_iterator import PeriodicDataIteratorCallback, collate_results
from noether.core.writers.metric_direction import Direction, register_metric_direction
from noether_cfd import batch as keys
from noether_cfd.metrics.evaluation import Physical, batch_metrics, field_means, summarize, surface_coefficients
from noether_cfd.metrics.forces import Reference
from noether_cfd.training.inputs import model_inputs

#: Which way each logged metric improves (best checkpoints and early stopping read it); baselines never do.
METRIC_DIRECTIONS: tuple[tuple[str, Direction], ...] = (
    ("baseline/*", "neutral"), ("r2/*", "higher"), ("spearman/*", "higher"), ("mae/*", "lower"),
    ("mse/*", "lower"), ("rel_l2_area/*", "lower"),
)
for _pattern, _direction in reversed(METRIC_DIRECTIONS):  # each rule is inserted first: keep the order above
    register_metric_direction(_pattern, _direction)


def physical_units(dataset: Any) -> Physical:
    """The dataset's denormalizer as a :data:`Physical` (keys without a normalizer pass unchanged)."""

    def physical(key: str, value: torch.Tensor) -> torch.Tensor:
        try:
            denormalized: torch.Tensor = dataset.denormalize(key, value)
            return denormalized
        except (KeyError, AttributeError):
            return value  # not a normalized property (e.g. normals): already physical

    return physical


class CfdMetricsCallback(PeriodicDataIteratorCallback):
    """See :class:`noether_cfd.metrics.schemas.CfdMetricsCallbackConfig`."""

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        trainer_config = self.ctx.trainer_config
        self.targets: list[str] = list(getattr(trainer_config, "target_properties", None) or [])
        self.forward_properties: list[str] = list(getattr(trainer_config, "forward_properties", None) or [])
        self.fields: list[str] = list(config.fields or self.targets)
        if not self.fields:
            raise ValueError("CfdMetricsCallback: set 'fields' (the trainer has no target_properties)")
        self.coefficients: list[str] = list(config.coefficients)
        if self.coefficients and keys.SURFACE_PRESSURE not in self.fields:
            raise ValueError("CfdMetricsCallback: 'coefficients' need 'surface_pressure' among the fields")
        ref = config.reference
        self.reference = Reference(area=ref.area, length=ref.length, velocity=ref.velocity, density=ref.density,
                                   moment_center=tuple(ref.moment_center))
        baseline = config.baseline_dataset_key
        if baseline is not None and baseline not in self.ctx.datasets:
            known = ", ".join(sorted(self.ctx.datasets))
            raise KeyError(f"CfdMetricsCallback: no baseline dataset '{baseline}'; datasets are: {known}")
        self._baseline: tuple[dict[str, torch.Tensor], dict[str, float]] | None = None
        #: The last summary (metric name -> value), for reports.
        self.last: dict[str, float] = {}

    # -- data --------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _sampling(self, dataset_key: str, repeat: int) -> Iterator[None]:
        """Iterate ``dataset_key`` with the sampling of ``repeat``: a copy of its pipeline at that epoch.

        The dataset's own pipeline (and so the training data's epoch) is put back untouched afterwards.
        """
        dataset = self.ctx.datasets[dataset_key]
        original = getattr(dataset, "collate_fn", None)
        if original is None or not hasattr(original, "set_epoch"):
            yield
            return
        replica = copy.deepcopy(original)
        replica.set_epoch(repeat)
        target = getattr(dataset, "root_dataset", dataset)  # wrappers forward attribute reads, not writes
        target.collate_fn = replica
        try:
            yield
        finally:
            target.collate_fn = original

    def _batches(self, dataset_key: str, repeat: int) -> Iterator[dict[str, Any]]:
        with self._sampling(dataset_key, repeat):
            yield from self.ctx.iterate(dataset_key, self.batch_size)

    def _predict(self, batch: dict[str, Any], model: torch.nn.Module) -> dict[str, torch.Tensor]:
        inputs = model_inputs(batch, self.forward_properties, self.targets)
        chunk = self.config.chunk_size
        predict_chunked = getattr(self.ctx.model, "predict_chunked", None)
        chunked = chunk is not None and callable(predict_chunked)
        output = predict_chunked(inputs, chunk) if chunked else model(**inputs)  # type: ignore[misc]
        if isinstance(output, torch.Tensor):
            output = {self.fields[0]: output}
        return {k: v.float() for k, v in output.items()}

    # -- the callback ------------------------------------------------------------------------------------------
    def process_data(self, batch: dict[str, Any], model: torch.nn.Module) -> dict[str, torch.Tensor]:
        """Per-sample metrics of one batch."""
        output = self._predict(batch, model)
        means = self._baseline[0] if self._baseline is not None else None
        physical = physical_units(self.ctx.datasets[self.dataset_key])
        return batch_metrics(output, batch, fields=self.fields, physical=physical, coefficients=self.coefficients,
                             reference=self.reference, baseline_means=means)

    def process_results(self, results: dict[str, torch.Tensor], interval_type: Any, counter: Any) -> None:
        """Log ``<metric>/<dataset>/<field>`` means and ``<r2|spearman|mae>/<dataset>/<coefficient>``."""
        baseline = self._baseline[1] if self._baseline is not None else None
        summary = summarize(results, self.coefficients, baseline)
        self.last = {}
        for key, value in summary.items():
            prefix = "baseline/" if key.startswith("baseline/") else ""
            field, _, metric = key[len(prefix):].rpartition("/")
            name = f"{prefix}{metric}/{self.dataset_key}/{field}"
            self.last[name] = value
            self.log_writer.add_scalar(name, value, console=True)

    def _compute_baseline(self) -> None:
        key = self.config.baseline_dataset_key
        if key is None or self._baseline is not None:
            return
        physical = physical_units(self.ctx.datasets[key])
        batches = list(self._batches(key, 0))
        means = field_means(batches, self.fields, physical)
        if self.ctx.world_size > 1:
            # Means of equal-weight shards would be biased; the shards are balanced to one sample, close enough
            # for a baseline, and every rank must agree on it.
            means = {f: self.ctx.all_reduce_mean(m) for f, m in means.items()}
        coefficient_means: dict[str, float] = {}
        if self.coefficients:
            values: dict[str, list[torch.Tensor]] = {name: [] for name in self.coefficients}
            for batch in batches:
                shear = batch.get(keys.SURFACE_WALLSHEAR)
                true = surface_coefficients(
                    physical(keys.SURFACE_PRESSURE, batch[keys.SURFACE_PRESSURE]), batch, physical, self.reference,
                    None if shear is None else physical(keys.SURFACE_WALLSHEAR, shear))
                for name in self.coefficients:
                    values[name].append(true[name])
            coefficient_means = {n: float(self.ctx.all_gather_cat(torch.cat(v)).mean()) for n, v in values.items()}
        self._baseline = (means, coefficient_means)

    def periodic_callback(self, interval_type: Any, counter: Any) -> None:
        """Evaluate ``repeats`` samplings of the dataset, average per sample, and log."""
        start = time.perf_counter()
        model = self.ctx.forward_model
        self._compute_baseline()
        passes: list[dict[str, torch.Tensor]] = []
        for repeat in range(self.config.repeats):
            parts = [self.process_data(batch, model) for batch in self._batches(self.dataset_key, repeat)]
            passes.append(collate_results(parts))
        results = {k: torch.stack([p[k] for p in passes]).mean(dim=0) for k in passes[0]}
        total = len(self.ctx.datasets[self.dataset_key])
        results = {k: self.ctx.all_gather_cat(v)[:total] for k, v in results.items()}
        self.process_results(results, interval_type, counter)
        self.elapsed = time.perf_counter() - start
