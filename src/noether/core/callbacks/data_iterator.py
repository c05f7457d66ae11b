"""Callbacks that iterate over a whole dataset when they fire (evaluation)."""

from __future__ import annotations

import time
from typing import Any

import torch

from noether.core.callbacks.base import PeriodicCallback
from noether.core.time import Unit


def collate_results(parts: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Concatenate per-batch results key by key (0-d tensors are stacked)."""
    out: dict[str, torch.Tensor] = {}
    for key in parts[0] if parts else []:
        values = [p[key] for p in parts]
        out[key] = torch.stack(values) if values[0].ndim == 0 else torch.cat(values)
    return out


class PeriodicDataIteratorCallback(PeriodicCallback):
    """Iterates over ``datasets[dataset_key]`` on each firing: :meth:`process_data` per batch, then
    :meth:`process_results` with everything concatenated (gathered over processes, padding removed).
    """

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.dataset_key: str = config.dataset_key
        if self.dataset_key not in self.ctx.datasets:
            known = ", ".join(sorted(self.ctx.datasets))
            raise KeyError(f"{type(self).__name__}: no dataset '{self.dataset_key}'; datasets are: {known}")
        self.batch_size: int | None = getattr(config, "batch_size", None)

    def process_data(self, batch: dict[str, Any], model: torch.nn.Module) -> dict[str, torch.Tensor]:
        """Results of one batch (override)."""
        raise NotImplementedError

    def process_results(self, results: dict[str, torch.Tensor], interval_type: Unit, counter: Any) -> None:
        """Use the results of the whole dataset (override)."""
        raise NotImplementedError

    def periodic_callback(self, interval_type: Unit, counter: Any) -> None:
        """Iterate, collect, gather and hand the results over."""
        ctx = self.ctx
        model = ctx.forward_model
        start = time.perf_counter()
        parts = [self.process_data(batch, model) for batch in ctx.iterate(self.dataset_key, self.batch_size)]
        results = collate_results(parts)
        total = len(ctx.datasets[self.dataset_key])
        results = {k: ctx.all_gather_cat(v)[:total] if v.ndim else v for k, v in results.items()}
        self.process_results(results, interval_type, counter)
        self.elapsed = time.perf_counter() - start
