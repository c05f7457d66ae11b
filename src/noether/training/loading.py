"""DataLoaders of a run: the resumable training stream and whole-dataset iteration for evaluation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from noether.training.batching import BatchPlan
from noether.training.context import RunContext
from noether.training.sampler import ResumableBatchSampler


def to_device(batch: Any, device: torch.device) -> Any:
    """Move a batch (dict of tensors) to ``device``; a no-op on CPU."""
    if device.type == "cpu":
        return batch
    if isinstance(batch, dict):
        return {k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
    return batch


class Loaders:
    """Builds the run's DataLoaders with its workers, seed and process layout."""

    def __init__(self, context: RunContext, plan: BatchPlan, effective_batch_size: int, updates_per_epoch: int) -> None:
        self.context = context
        self.plan = plan
        self.effective_batch_size = effective_batch_size
        self.updates_per_epoch = updates_per_epoch
        self.train_dataset = context.datasets[context.train_dataset_key]

    def loader(self, dataset: Any, collate_fn: Any = None, **kwargs: Any) -> torch.utils.data.DataLoader[Any]:
        """A DataLoader over ``dataset`` with the run's workers and the dataset's collator.

        An explicit generator keeps the loader from consuming the global RNG, which resume restores exactly.
        """
        context = self.context
        return torch.utils.data.DataLoader(
            dataset,
            collate_fn=collate_fn or getattr(dataset, "collate_fn", None),
            num_workers=context.num_workers,
            persistent_workers=False,
            pin_memory=context.device.type == "cuda",
            generator=torch.Generator().manual_seed(context.seed),
            **kwargs,
        )

    def epoch_loader(self, start_update: int) -> torch.utils.data.DataLoader[Any]:
        """The training loader for the rest of the epoch that contains ``start_update``."""
        context = self.context
        sampler = ResumableBatchSampler(
            len(self.train_dataset),
            effective_batch_size=self.effective_batch_size,
            accumulation_steps=self.plan.accumulation_steps,
            seed=context.seed,
            rank=context.rank,
            world_size=context.world_size,
            start_update=start_update,
            single_epoch=True,
        )
        return self.loader(self.train_dataset, batch_sampler=sampler)

    def training_batches(self, start_update: int) -> Iterator[Any]:
        """Micro-batches from ``start_update`` on, epoch after epoch.

        Each epoch gets a fresh loader after ``collate_fn.set_epoch(epoch)``, so random per-sample processing
        depends only on (seed, epoch, sample) - also inside worker processes, and also after a resume.
        """
        upe = self.updates_per_epoch
        update = start_update
        set_epoch = getattr(getattr(self.train_dataset, "collate_fn", None), "set_epoch", None)
        while True:
            epoch = update // upe
            if set_epoch is not None:
                set_epoch(epoch)
            yield from self.epoch_loader(update)
            update = (epoch + 1) * upe

    def iterate(self, dataset_key: str, batch_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Batches of a whole dataset in order, on the run's device, this process's (unpadded) shard."""
        context = self.context
        dataset = context.datasets[dataset_key]
        collate = getattr(dataset, "collate_fn", None)  # a Subset would hide the dataset's collator
        if context.world_size > 1:
            from noether.training.distributed import shard_indices

            if len(dataset) < context.world_size:  # an empty shard would skip the gather and deadlock
                raise ValueError(f"dataset '{dataset_key}' has {len(dataset)} samples, fewer than the "
                                 f"{context.world_size} processes that evaluate it")
            dataset = torch.utils.data.Subset(dataset, shard_indices(len(dataset), context.rank, context.world_size))
        size = batch_size or self.plan.micro_batch_size
        loader = self.loader(dataset, collate_fn=collate, batch_size=size, shuffle=False, drop_last=False)
        device = context.device
        for batch in loader:
            yield to_device(batch, device)
