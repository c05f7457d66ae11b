"""Which device this process trains on: ``accelerator`` and ``devices`` of the config, and the local rank."""

from __future__ import annotations

from typing import Any

from noether.core.errors import ConfigError, Issue


def _device_ids(devices: str) -> list[int]:
    return [int(part) for part in devices.split(",") if part.strip()]


def _reject(message: str) -> ConfigError:
    return ConfigError([Issue(("devices",), message)], header="the devices of the config cannot be used")


def choose_device(accelerator: str | None, local_rank: int = 0, devices: str | None = None,
                  local_world_size: int = 1) -> Any:
    """The device for ``accelerator`` (``None``: CUDA, else MPS, else CPU), decided now, not at import.

    ``devices`` (``"0,1"``) names the GPUs to use: process ``local_rank`` of a node takes the id at that position.
    One process trains on one device; several devices need one process each (``torchrun --nproc-per-node``).
    """
    import torch

    if accelerator is None:
        if torch.cuda.is_available():
            accelerator = "gpu"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            accelerator = "mps"
        else:
            accelerator = "cpu"
    if accelerator != "gpu":
        if devices is not None:
            raise _reject(f"devices={devices!r} selects GPUs, but this run trains on the {accelerator}: remove "
                          "'devices', or set 'accelerator: gpu' on a machine with CUDA")
        return torch.device("mps") if accelerator == "mps" else torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError("accelerator 'gpu' was requested but CUDA is not available")
    if devices is None:
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device("cuda", _pick(devices, local_rank, local_world_size, torch.cuda.device_count()))


def _pick(devices: str, local_rank: int, local_world_size: int, visible: int) -> int:
    ids = _device_ids(devices)
    if len(ids) != local_world_size:
        processes = f"{local_world_size} process{'es' if local_world_size != 1 else ''}"
        raise _reject(f"devices={devices!r} names {len(ids)} device(s), but {processes} per node train: start one "
                      f"process per device (torchrun --nproc-per-node {len(ids)}, or srun with that many tasks per "
                      "node), or name as many devices as processes")
    wrong = [i for i in ids if i >= visible]
    if wrong:
        raise _reject(f"devices={devices!r} names {wrong}, but only {visible} GPU(s) are visible (ids 0 to "
                      f"{visible - 1}); check CUDA_VISIBLE_DEVICES")
    return ids[local_rank]
