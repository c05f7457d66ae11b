"""Multi-process training on torch.distributed: process layout from the launcher, DDP, reductions.

Launchers: ``torchrun`` (``RANK``/``WORLD_SIZE``/``LOCAL_RANK``) and SLURM's ``srun`` (``SLURM_PROCID``/
``SLURM_NTASKS``/``SLURM_LOCALID``). No home-made process groups: ``torch.distributed`` does the work.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import attrs
import torch


@attrs.frozen
class ProcessLayout:
    """This process's place in the job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_distributed(self) -> bool:
        """Whether more than one process trains."""
        return self.world_size > 1


def detect_layout() -> ProcessLayout:
    """Read the layout from torchrun's or SLURM's environment variables (single process otherwise)."""
    env = os.environ
    if "RANK" in env and "WORLD_SIZE" in env:
        return ProcessLayout(int(env["RANK"]), int(env["WORLD_SIZE"]), int(env.get("LOCAL_RANK", "0")))
    if "SLURM_PROCID" in env and int(env.get("SLURM_NTASKS", "1")) > 1:
        return ProcessLayout(int(env["SLURM_PROCID"]), int(env["SLURM_NTASKS"]), int(env.get("SLURM_LOCALID", "0")))
    return ProcessLayout()


def free_port() -> int:
    """A free TCP port on this machine."""
    with socket.socket() as sock:
        sock.bind(("", 0))
        return int(sock.getsockname()[1])


def init_process_group(layout: ProcessLayout, device: torch.device, master_port: int | None) -> None:
    """Join the process group (gloo on CPU, nccl on CUDA)."""
    if not layout.is_distributed or torch.distributed.is_initialized():
        return
    os.environ.setdefault("MASTER_ADDR", _slurm_master() or "127.0.0.1")
    if "MASTER_PORT" not in os.environ:
        job = os.environ.get("SLURM_JOB_ID")
        os.environ["MASTER_PORT"] = str(master_port or (15000 + int(job) % 10000 if job else 29500))
    backend = "nccl" if device.type == "cuda" else "gloo"
    torch.distributed.init_process_group(backend, rank=layout.rank, world_size=layout.world_size)


def _slurm_master() -> str | None:
    nodes = os.environ.get("SLURM_JOB_NODELIST")
    if not nodes:
        return None
    import subprocess

    try:
        out = subprocess.run(["scontrol", "show", "hostnames", nodes], capture_output=True, text=True, timeout=10)
        return out.stdout.split()[0] if out.stdout.split() else None
    except (OSError, subprocess.SubprocessError):
        return nodes.split(",")[0]


def wrap_ddp(model: torch.nn.Module, config: Any, device: torch.device) -> torch.nn.Module:
    """Wrap in DistributedDataParallel with the trainer's flags."""
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" and device.index is not None else None
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=config.find_unused_params,
                                   static_graph=config.static_graph)


def shard_indices(length: int, rank: int, world_size: int) -> list[int]:
    """Contiguous, unpadded shard of ``range(length)`` for ``rank`` (results are gathered in rank order)."""
    per = -(-length // world_size)
    return list(range(rank * per, min(length, (rank + 1) * per)))


def all_reduce_mean(value: torch.Tensor) -> torch.Tensor:
    """Mean of ``value`` over processes."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return value
    out = value.detach().clone().float()
    torch.distributed.all_reduce(out)
    return out / torch.distributed.get_world_size()


def all_gather_cat(value: torch.Tensor) -> torch.Tensor:
    """Concatenate ``value`` from every process in rank order (shards may differ in length)."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return value
    world = torch.distributed.get_world_size()
    size = torch.tensor([value.shape[0]], device=value.device)
    sizes = [torch.zeros_like(size) for _ in range(world)]
    torch.distributed.all_gather(sizes, size)
    longest = int(max(s.item() for s in sizes))
    padded = torch.zeros((longest, *value.shape[1:]), dtype=value.dtype, device=value.device)
    padded[: value.shape[0]] = value
    parts = [torch.zeros_like(padded) for _ in range(world)]
    torch.distributed.all_gather(parts, padded)
    return torch.cat([p[: int(s.item())] for p, s in zip(parts, sizes, strict=True)])
