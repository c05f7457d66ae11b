"""Multi-process training on torch.distributed: process layout from the launcher, DDP, reductions.

Launchers: ``torchrun`` (``RANK``/``WORLD_SIZE``/``LOCAL_RANK``) and SLURM's ``srun`` (``SLURM_PROCID``/
``SLURM_STEP_NUM_TASKS``/``SLURM_LOCALID``). No home-made process groups: ``torch.distributed`` does the work.

Every function here is a no-op (or the identity) in a single process, so callers need no ``if distributed``.
Collectives must be entered by every rank in the same order; the trainer only calls them at points every rank
reaches deterministically (after each update, at checkpoint writes, in evaluation callbacks).
"""

from __future__ import annotations

import inspect
import logging
import os
import socket
import subprocess
from typing import Any

import attrs
import torch

logger = logging.getLogger("noether")

#: A gloo group for small control messages (stop flags, per-rank states) when the default group is NCCL,
#: so that deciding whether to stop never synchronises a CUDA stream.
_control_group: Any = None
#: Process groups created by this process so far (each gets its own store prefix).
_incarnation = 0


@attrs.frozen
class ProcessLayout:
    """This process's place in the job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    #: Processes on this node (torchrun's ``LOCAL_WORLD_SIZE``, SLURM's tasks per node).
    local_world_size: int = 1

    @property
    def is_distributed(self) -> bool:
        """Whether more than one process trains."""
        return self.world_size > 1


def detect_layout(env: dict[str, str] | None = None) -> ProcessLayout:
    """Read the layout from torchrun's or SLURM's environment variables (single process otherwise).

    Under SLURM the step's task count (``SLURM_STEP_NUM_TASKS``, set by ``srun``) is preferred over the
    job's (``SLURM_NTASKS``): a batch script that runs ``noether run`` without ``srun`` has
    ``SLURM_PROCID=0`` and the job's task count, and must not wait for peers that were never started.
    """
    env = dict(os.environ) if env is None else env
    if "RANK" in env and "WORLD_SIZE" in env:
        world = int(env["WORLD_SIZE"])
        return ProcessLayout(int(env["RANK"]), world, int(env.get("LOCAL_RANK", "0")),
                             int(env.get("LOCAL_WORLD_SIZE", str(world))))
    if "SLURM_PROCID" in env:
        if "SLURM_STEP_NUM_TASKS" in env:
            world = int(env["SLURM_STEP_NUM_TASKS"])
        elif "SLURM_STEP_ID" in env or "SLURM_STEPID" in env:
            world = int(env.get("SLURM_NTASKS", "1"))
        else:
            world = 1
        if world > 1:
            per_node = env.get("SLURM_STEP_TASKS_PER_NODE") or env.get("SLURM_TASKS_PER_NODE") or str(world)
            return ProcessLayout(int(env["SLURM_PROCID"]), world, int(env.get("SLURM_LOCALID", "0")),
                                 int(per_node.split("(")[0].split(",")[0]))
    return ProcessLayout()


def free_port() -> int:
    """A free TCP port on this machine."""
    with socket.socket() as sock:
        sock.bind(("", 0))
        return int(sock.getsockname()[1])


def init_process_group(layout: ProcessLayout, device: torch.device, master_port: int | None) -> bool:
    """Join the process group (gloo on CPU, nccl on CUDA); returns whether this call created it.

    ``MASTER_ADDR``/``MASTER_PORT`` come from the launcher (torchrun sets both). Under SLURM every task
    computes the same values itself: the first node of the job and ``15000 + SLURM_JOB_ID % 10000``, because
    a random ``master_port`` from the config would differ between tasks.
    """
    global _control_group
    if not layout.is_distributed or torch.distributed.is_initialized():
        return False
    os.environ.setdefault("MASTER_ADDR", _slurm_master() or "127.0.0.1")
    if "MASTER_PORT" not in os.environ:
        job = os.environ.get("SLURM_JOB_ID")
        os.environ["MASTER_PORT"] = str(15000 + int(job) % 10000 if job else (master_port or 29500))
    if device.type == "cuda":
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    global _incarnation
    _incarnation += 1
    if _incarnation == 1:
        torch.distributed.init_process_group(backend, rank=layout.rank, world_size=layout.world_size)
    else:
        # A later group in the same process (verify-resume runs three trainings) talks through the same
        # launcher store as the first: keys left by the earlier group (peer addresses) would be read as this
        # group's, and a rank could connect to a peer that is gone, which hangs. A fresh key prefix per group.
        store, _, _ = next(torch.distributed.rendezvous("env://", layout.rank, layout.world_size))
        store = torch.distributed.PrefixStore(f"noether-group-{_incarnation}", store)
        torch.distributed.init_process_group(backend, store=store, rank=layout.rank, world_size=layout.world_size)
    # new_group is itself a collective: every rank creates it here, at the same point.
    _control_group = torch.distributed.new_group(backend="gloo") if backend != "gloo" else None
    logger.debug("process group: rank %d of %d (%s)", layout.rank, layout.world_size, backend)
    return True


def destroy_process_group(wait_for_peers: bool = False) -> None:
    """Leave the process group (created by :func:`init_process_group`).

    ``wait_for_peers`` (after a run that ended normally, a signal stop included): first wait until every rank
    is done, because launchers (torchrun, ``srun --kill-on-bad-exit``) stop the remaining ranks as soon as one
    exits, which could cut rank 0 off while it still writes its last checkpoint and summary.
    """
    global _control_group
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        if wait_for_peers:
            torch.distributed.barrier(group=_control_group)
        torch.distributed.destroy_process_group()
    _control_group = None


def _slurm_master() -> str | None:
    nodes = os.environ.get("SLURM_JOB_NODELIST") or os.environ.get("SLURM_NODELIST")
    if not nodes:
        return None
    try:
        out = subprocess.run(["scontrol", "show", "hostnames", nodes], capture_output=True, text=True,
                             timeout=10)
        names = out.stdout.split()
        return names[0] if names else None
    except (OSError, subprocess.SubprocessError):
        # No scontrol: a plain list "a,b" still names its first node; a compressed one "a[1-2]" does not.
        first = nodes.split(",")[0]
        return None if "[" in first else first


def is_distributed() -> bool:
    """Whether a process group with more than one process is active."""
    return (torch.distributed.is_available() and torch.distributed.is_initialized()
            and torch.distributed.get_world_size() > 1)


def wrap_ddp(model: torch.nn.Module, config: Any, device: torch.device) -> torch.nn.Module:
    """Wrap in DistributedDataParallel with the trainer's ``find_unused_params`` / ``static_graph``.

    * no buffer sync in forward (``forward_sync_buffers=False``, formerly ``broadcast_buffers=False``): with
      the default, every forward (evaluation included) starts with a collective, and evaluation runs a
      different number of batches per rank (unpadded shards), which would deadlock. Buffers are synced once
      when wrapping; on CUDA BatchNorm becomes SyncBatchNorm, so running statistics are computed over the
      global batch and agree across ranks anyway.
    * A model with nothing to train is not wrapped (DDP refuses it); its weights are broadcast from rank 0 so
      that every rank evaluates the same model.
    """
    from torch.nn.parallel import DistributedDataParallel

    if not any(p.requires_grad for p in model.parameters()):
        broadcast_module(model)
        return model
    if device.type == "cuda":
        # Replaces BatchNorm children in place, reusing their Parameter objects (optimizers stay valid).
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ids = [device.index] if device.type == "cuda" and device.index is not None else None
    # Newer torch renames the flag (and still syncs buffers once at construction, which is what we want).
    params = inspect.signature(DistributedDataParallel).parameters
    sync_flag = "forward_sync_buffers" if "forward_sync_buffers" in params else "broadcast_buffers"
    no_forward_sync: dict[str, Any] = {sync_flag: False}
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=config.find_unused_params,
                                   static_graph=config.static_graph, **no_forward_sync)


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The module inside DDP (and ``torch.compile``) wrappers."""
    from torch.nn.parallel import DistributedDataParallel

    inner = getattr(model, "_orig_mod", model)
    return inner.module if isinstance(inner, DistributedDataParallel) else inner


def broadcast_module(module: torch.nn.Module, src: int = 0) -> None:
    """Copy every parameter and buffer of ``module`` from rank ``src`` to all ranks (in place)."""
    if not is_distributed():
        return
    with torch.no_grad():
        for tensor in [*module.parameters(), *module.buffers()]:
            torch.distributed.broadcast(tensor.data, src=src)


def shard_indices(length: int, rank: int, world_size: int) -> list[int]:
    """Contiguous, unpadded, balanced shard of ``range(length)`` for ``rank``.

    Shard sizes differ by at most one and concatenating the shards in rank order gives ``range(length)``, so
    results gathered with :func:`all_gather_cat` are in dataset order and no sample is counted twice.
    """
    base, extra = divmod(length, world_size)
    start = rank * base + min(rank, extra)
    return list(range(start, start + base + (1 if rank < extra else 0)))


def all_reduce_mean(value: torch.Tensor) -> torch.Tensor:
    """Mean of ``value`` over processes (float32; the identity in a single process)."""
    if not is_distributed():
        return value
    out = value.detach().clone().float()
    torch.distributed.all_reduce(out)
    return out / torch.distributed.get_world_size()


def all_gather_cat(value: torch.Tensor) -> torch.Tensor:
    """Concatenate ``value`` from every process in rank order (shards may differ in length, even be empty)."""
    if not is_distributed():
        return value
    world = torch.distributed.get_world_size()
    size = torch.tensor([value.shape[0]], device=value.device)
    sizes = [torch.zeros_like(size) for _ in range(world)]
    torch.distributed.all_gather(sizes, size)
    longest = int(max(int(s.item()) for s in sizes))
    # all_gather needs equal shapes: pad to the longest shard, then cut every part back to its true length.
    padded = torch.zeros((longest, *value.shape[1:]), dtype=value.dtype, device=value.device)
    padded[: value.shape[0]] = value
    parts = [torch.zeros_like(padded) for _ in range(world)]
    torch.distributed.all_gather(parts, padded)
    return torch.cat([p[: int(s.item())] for p, s in zip(parts, sizes, strict=True)])


def any_process(flag: bool) -> bool:
    """Whether ``flag`` is true on any process (every rank must call this at the same point)."""
    if not is_distributed():
        return flag
    value = torch.tensor([1 if flag else 0], dtype=torch.int32)
    if _control_group is None and torch.distributed.get_backend() == "nccl":  # pragma: no cover (GPU only)
        value = value.cuda()
    torch.distributed.all_reduce(value, op=torch.distributed.ReduceOp.MAX, group=_control_group)
    return bool(value.item())


def gather_objects(obj: Any) -> list[Any]:
    """``obj`` of every process, in rank order (picklable objects; every rank must call this)."""
    if not is_distributed():
        return [obj]
    out: list[Any] = [None] * torch.distributed.get_world_size()
    torch.distributed.all_gather_object(out, obj, group=_control_group)
    return out


def is_reporting_process(env: dict[str, str] | None = None) -> bool:
    """Whether this process prints the end-of-run report: one per job.

    torchrun's ``RANK`` decides when set; otherwise SLURM's ``SLURM_PROCID`` (``srun`` starts every task with
    its own id, also when the tasks do not form a process group).
    """
    env = dict(os.environ) if env is None else env
    if "RANK" in env:
        return env["RANK"] == "0"
    return env.get("SLURM_PROCID", "0") == "0"


def broadcast_from_rank0(value: Any) -> Any:
    """Rank 0's ``value`` on every rank (picklable; every rank must call this; the identity in one process)."""
    if not is_distributed():
        return value
    holder = [value]
    torch.distributed.broadcast_object_list(holder, src=0)
    return holder[0]


def wrap_for_training(model: torch.nn.Module, config: Any, device: torch.device, world_size: int) -> torch.nn.Module:
    """The module the loop runs: DDP over several processes (not under FSDP, which shards the model in place
    before the optimizers are built: :mod:`noether.training.strategy`), then ``torch.compile`` when configured."""
    wrapped: torch.nn.Module = model
    strategy = getattr(config, "strategy", None)
    if world_size > 1 and (strategy is None or strategy.kind == "ddp"):
        wrapped = wrap_ddp(model, config, device)
    if config.use_torch_compile:
        wrapped = torch.compile(wrapped)  # type: ignore[assignment]
    return wrapped
