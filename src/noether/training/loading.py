"""DataLoaders of a run: the resumable training stream and whole-dataset iteration for evaluation.

In the main process (``num_workers == 0``, no pinned memory) the training stream does not go through a
``DataLoader``: the batch sampler's indices go straight to ``dataset.__getitems__`` and the collator, the very
calls torch's fetcher makes, so batches, order, resume position and errors are the same, without the
iterator's bookkeeping around each batch (about as much as a batched fetch of 64 samples costs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def fetcher(dataset: Any, collate_fn: Callable[[Any], Any] | None = None) -> Callable[[list[int]], Any]:
    """What a main-process ``DataLoader(batch_sampler=...)`` does with one batch of indices, as a function.

    ``dataset.__getitems__(indices)`` when the dataset has it (else one ``dataset[i]`` per index), then
    ``collate_fn`` (default: the dataset's ``collate_fn``, else torch's ``default_collate``), as torch's
    map-style fetcher calls them. A dataset with a ``collated_loader()`` that returns a function (see
    :meth:`noether.data.arrays.ArrayDataset.collated_loader`) loads the batches it can in one call.
    """
    collate = collate_fn or getattr(dataset, "collate_fn", None) or torch.utils.data.default_collate
    getitems = getattr(dataset, "__getitems__", None)
    # Looked up on the class: a wrapper forwards unknown attributes to its inner dataset, whose batches
    # would then skip the wrapper's own index map.
    collated_loader = getattr(type(dataset), "collated_loader", None) if collate_fn is None else None
    collated = collated_loader(dataset) if callable(collated_loader) else None
    if getitems and collated is not None:
        # The dataset gathers finished batches itself (the same batches; see ArrayDataset.collated_loader).
        def fetch(indices: list[int]) -> Any:
            batch = collated(indices)
            return batch if batch is not None else collate(getitems(indices))
    elif getitems:
        def fetch(indices: list[int]) -> Any:
            return collate(getitems(indices))
    else:
        def fetch(indices: list[int]) -> Any:
            return collate([dataset[i] for i in indices])
    return fetch


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
        if context.num_workers:
            # Once, here: the workers are copies made anew each epoch, and each would check its first batch.
            check = getattr(dataset, "check_batch_loaders", None)
            if callable(check):
                check()
        return torch.utils.data.DataLoader(
            dataset,
            collate_fn=collate_fn or getattr(dataset, "collate_fn", None),
            num_workers=context.num_workers,
            persistent_workers=False,
            pin_memory=context.device.type == "cuda",
            generator=torch.Generator().manual_seed(context.seed),
            **kwargs,
        )

    @property
    def in_main_process(self) -> bool:
        """Whether training batches are fetched here, without a DataLoader (no workers, no pinned memory)."""
        return self.context.num_workers == 0 and self.context.device.type != "cuda"

    def epoch_sampler(self, start_update: int) -> ResumableBatchSampler:
        """The micro-batch indices of this process for the rest of the epoch that contains ``start_update``."""
        context = self.context
        return ResumableBatchSampler(
            len(self.train_dataset),
            effective_batch_size=self.effective_batch_size,
            accumulation_steps=self.plan.accumulation_steps,
            seed=context.seed,
            rank=context.rank,
            world_size=context.world_size,
            start_update=start_update,
            single_epoch=True,
        )

    def epoch_loader(self, start_update: int) -> torch.utils.data.DataLoader[Any]:
        """The training loader for the rest of the epoch that contains ``start_update``."""
        return self.loader(self.train_dataset, batch_sampler=self.epoch_sampler(start_update))

    def epoch_batches(self, start_update: int) -> Iterator[Any]:
        """The training batches for the rest of the epoch that contains ``start_update``.

        Through :meth:`epoch_loader` with workers (or pinned memory); in the main process the same calls
        without the DataLoader (see :func:`fetcher`).
        """
        if not self.in_main_process:
            return iter(self.epoch_loader(start_update))
        fetch = fetcher(self.train_dataset)
        return map(fetch, self.epoch_sampler(start_update).index_batches())

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
            yield from self.epoch_batches(update)
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
