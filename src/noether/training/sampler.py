"""The training data order: a fixed permutation per epoch, resumable at any update in O(1).

The order of epoch ``e`` depends only on ``(seed, e)``, so a resumed run computes it directly instead of
replaying batches. Each update takes ``effective_batch_size`` consecutive indices of the permutation (an
incomplete trailing update is dropped); with several processes each rank takes its slice of that global batch,
so the global batch is the same for any number of processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from noether.core.time import updates_per_epoch
from noether.data.batch import BatchIndices


class ResumableBatchSampler:
    """Yields micro-batches of indices from any update on: forever, or to the end of that epoch."""

    def __init__(
        self,
        dataset_length: int,
        *,
        effective_batch_size: int,
        accumulation_steps: int,
        seed: int,
        shuffle: bool = True,
        rank: int = 0,
        world_size: int = 1,
        start_update: int = 0,
        single_epoch: bool = False,
    ) -> None:
        if effective_batch_size % (world_size * accumulation_steps) != 0:
            raise ValueError("effective_batch_size must be divisible by world_size * accumulation_steps")
        self.dataset_length = dataset_length
        self.effective_batch_size = effective_batch_size
        self.accumulation_steps = accumulation_steps
        self.updates_per_epoch = updates_per_epoch(dataset_length, effective_batch_size)
        if self.updates_per_epoch == 0:
            raise ValueError(
                f"the training dataset has {dataset_length} samples, fewer than effective_batch_size="
                f"{effective_batch_size}; lower the batch size or use a RepeatWrapper"
            )
        self.seed = seed
        self.shuffle = shuffle
        self.rank = rank
        self.world_size = world_size
        self.micro_batch_size = effective_batch_size // (world_size * accumulation_steps)
        self.start_update = start_update
        self.single_epoch = single_epoch

    def epoch_order(self, epoch: int) -> torch.Tensor:
        """The permutation of epoch ``epoch`` (identical on every rank)."""
        if not self.shuffle:
            return torch.arange(self.dataset_length)
        generator = torch.Generator()
        generator.manual_seed((self.seed * 1_000_003 + epoch) % (2**63))
        return torch.randperm(self.dataset_length, generator=generator)

    def __iter__(self) -> Iterator[list[int]]:
        """Micro-batches as lists of indices (what a ``DataLoader``'s ``batch_sampler`` yields)."""
        return self._batches(False)

    def index_batches(self) -> Iterator[BatchIndices]:
        """The same micro-batches as :class:`~noether.data.batch.BatchIndices` that carry their index tensor
        (a view of the epoch's permutation) and the dataset length they are valid for, so that a dataset
        gathers without converting or checking them again. For the main process: sent to DataLoader workers,
        the tensor would be moved to shared memory.
        """
        return self._batches(True)

    def _batches(self, with_tensors: bool) -> Iterator[Any]:
        update = self.start_update
        epoch = update // self.updates_per_epoch
        ebs, mbs, length = self.effective_batch_size, self.micro_batch_size, self.dataset_length
        rank_offset = self.rank * (ebs // self.world_size)
        # The permutation is turned into Python ints a block of updates at a time: one ``tolist`` per
        # micro-batch costs more than the slicing, one per epoch would hold a huge dataset's order as a list.
        block = max(1, _BLOCK_INDICES // ebs)
        while True:
            order = self.epoch_order(epoch)
            first = update - epoch * self.updates_per_epoch
            for block_start in range(first, self.updates_per_epoch, block):
                block_end = min(block_start + block, self.updates_per_epoch)
                base = block_start * ebs
                block_order = order[base : block_end * ebs]
                indices = block_order.tolist()
                for local_update in range(block_end - block_start):
                    start = local_update * ebs + rank_offset
                    for micro in range(self.accumulation_steps):
                        lo = start + micro * mbs
                        if with_tensors:
                            yield BatchIndices(indices[lo : lo + mbs], block_order[lo : lo + mbs], length)
                        else:
                            yield indices[lo : lo + mbs]
            if self.single_epoch:
                return
            epoch += 1
            update = epoch * self.updates_per_epoch


#: About how many indices of the permutation are converted to a Python list at once.
_BLOCK_INDICES = 8192
