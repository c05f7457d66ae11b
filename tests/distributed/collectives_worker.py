"""Run under ``torchrun --nproc_per_node=2``: checks the collectives of ``noether.training.distributed``."""

from __future__ import annotations

import torch

from noether.training.distributed import (
    all_gather_cat,
    all_reduce_mean,
    any_process,
    destroy_process_group,
    detect_layout,
    gather_objects,
    init_process_group,
    is_distributed,
    shard_indices,
)


def main() -> None:
    """Every assertion holds on every rank."""
    layout = detect_layout()
    assert layout.world_size == 2 and layout.is_distributed
    assert init_process_group(layout, torch.device("cpu"), None)
    assert not init_process_group(layout, torch.device("cpu"), None)  # already joined
    assert is_distributed()
    rank = layout.rank
    # Uneven shards (one empty) come back in rank order, without padding.
    local = torch.arange(3, dtype=torch.float32).reshape(3, 1) + 10 if rank == 0 else torch.zeros(0, 1)
    assert all_gather_cat(local).tolist() == [[10.0], [11.0], [12.0]]
    # A dataset of 7 samples, sharded and gathered: every index once, in order.
    shard = torch.tensor(shard_indices(7, rank, 2))
    assert all_gather_cat(shard).tolist() == list(range(7))
    assert float(all_reduce_mean(torch.tensor(float(rank)))) == 0.5
    assert any_process(rank == 1) and not any_process(False)
    assert gather_objects({"rank": rank}) == [{"rank": 0}, {"rank": 1}]
    destroy_process_group(wait_for_peers=True)
    assert not is_distributed()
    print(f"rank {rank} ok")


if __name__ == "__main__":
    main()
