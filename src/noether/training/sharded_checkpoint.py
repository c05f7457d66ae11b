"""Sharded checkpoints of FSDP runs, written and read with ``torch.distributed.checkpoint`` (DCP).

One set's shards live in the directory ``<model>_cp=<tag>_dcp/`` next to the set's other files: DCP's
``.metadata`` and one ``__<rank>_<n>.distcp`` file per rank, holding the model's and the optimizers' shards
(``{"model": ..., "optim": {<optimizer name>: ...}}``, keyed by parameter name, so any world size can read
them: DCP reshards on load).

The store's rules hold for the whole set:

1. every rank writes its shards into ``.<dir>.partial``; :func:`torch.distributed.checkpoint.save` returns on
   rank 0 only after every rank's write finished and the ``.metadata`` is written (files fsynced);
2. rank 0 renames the directory to its final name, then lists every shard file with size and crc32 under the
   manifest key ``sharded`` (:data:`SHARDED`); the store writes the manifest last, so a set whose manifest
   exists has all of its shards;
3. loading the set checks every shard against the manifest before DCP reads it
   (:meth:`~noether.core.writers.checkpoints.CheckpointStore.load_set`): a damaged shard makes the set damaged,
   and a resume from ``latest`` falls back to the newest intact set, as for a damaged ``.th`` file.

Loading needs no process group: one process (``noether predict``, an initializer, a resume on one device) reads
the full tensors from the shards (:func:`load_full_state`).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from noether.core.writers.shards import SHARDED, file_crc32, verify_shards

logger = logging.getLogger("noether")

__all__ = ["SHARDED", "dcp_directory_name", "load_full_state", "load_sharded", "save_sharded", "verify_shards"]


def dcp_directory_name(model_name: str, tag: str) -> str:
    """``<model>_cp=<tag>_dcp``: the directory of a set's shards."""
    return f"{model_name}_cp={tag}_dcp"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _model_and_optim_states(model: torch.nn.Module, optimizers: Mapping[str, Any], with_optim: bool) -> dict[str, Any]:
    from torch.distributed.checkpoint.state_dict import get_model_state_dict, get_optimizer_state_dict

    state: dict[str, Any] = {"model": get_model_state_dict(model)}
    if with_optim:
        state["optim"] = {name: get_optimizer_state_dict(model, wrapper.optimizer)
                          for name, wrapper in optimizers.items()}
    return state


def _barrier() -> None:
    if torch.distributed.is_initialized():
        torch.distributed.barrier()


def save_sharded(directory: Path, model_name: str, tag: str, model: torch.nn.Module,
                 optimizers: Mapping[str, Any], *, with_optim: bool, is_rank0: bool) -> dict[str, Any] | None:
    """Write the shards of ``model`` (and of ``optimizers``) for set ``tag``; a collective: every rank calls it.

    Returns the manifest entry on rank 0 (``None`` elsewhere).
    """
    import torch.distributed.checkpoint as dcp

    name = dcp_directory_name(model_name, tag)
    final = directory / name
    staging = directory / f".{name}.partial"
    if is_rank0:
        # Leftovers of an attempt that was killed before its manifest: never mixed with this one's shards.
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(final, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)
    _barrier()
    state = _model_and_optim_states(model, optimizers, with_optim)
    dcp.save(state, storage_writer=dcp.FileSystemWriter(str(staging), sync_files=True))
    if not is_rank0:
        return None
    os.replace(staging, final)
    _fsync_dir(directory)
    files = {p.name: {"size": p.stat().st_size, "crc32": file_crc32(p)} for p in sorted(final.iterdir()) if p.is_file()}
    world = torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1
    positions = {key: list(w.position) if getattr(w, "position", None) is not None else None
                 for key, w in optimizers.items()} if with_optim else {}
    return {"directory": name, "world_size": world, "files": files, "schedule_positions": positions}


def load_sharded(directory: Path, entry: Mapping[str, Any], model: torch.nn.Module, optimizers: Mapping[str, Any],
                 ) -> None:
    """Load a set's shards into ``model`` and ``optimizers`` (sharded or not, any world size; every rank calls it).

    The optimizers of the set that this run also has are restored with their schedule position; others are
    left fresh with a warning.
    """
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import set_model_state_dict, set_optimizer_state_dict

    path = directory / str(entry["directory"])  # checked against the manifest when the store loaded the set
    saved_optims = set(entry.get("schedule_positions") or {})
    wanted = {name: w for name, w in optimizers.items() if name in saved_optims}
    for name in sorted(set(optimizers) - saved_optims):
        logger.warning("the sharded checkpoint has no optimizer state for '%s'; starting it fresh", name)
    state = _model_and_optim_states(model, wanted, with_optim=bool(wanted))
    dcp.load(state, checkpoint_id=str(path))
    set_model_state_dict(model, state["model"])
    for name, wrapper in wanted.items():
        set_optimizer_state_dict(model, wrapper.optimizer, state["optim"][name])
        position = entry["schedule_positions"].get(name)
        wrapper.position = None if position is None else (int(position[0]), int(position[1]), int(position[2]))


def load_full_state(path: Path) -> dict[str, Any]:
    """Every tensor of a shard directory as full tensors, in one process with no process group.

    ``{"model": {name: tensor}, "optim": {optimizer: {"state": ..., "param_groups": ...}}}`` (optimizer state
    keyed by parameter name). For tools outside training: ``noether predict``, initializers, comparisons.
    """
    import tempfile

    from torch.distributed.checkpoint.format_utils import dcp_to_torch_save

    with tempfile.TemporaryDirectory(prefix="noether-dcp-") as tmp:
        target = Path(tmp) / "full.pt"
        dcp_to_torch_save(str(path), str(target))
        state: dict[str, Any] = torch.load(target, map_location="cpu", weights_only=True)
    return state
