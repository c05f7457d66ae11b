"""The shape of a SLURM job (nodes, training tasks per node, GPUs per node) and the rules that keep it consistent.

noether trains one process per GPU, and ``srun`` starts one task per process: so the tasks of a node must
match its GPUs. The rules here catch the sections that would queue, wait for an allocation, and then train on a
fraction of it (or fail at start-up): they are checked before anything is submitted. No torch import here.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from noether.core.errors import Issue

#: ``gpu:4``, ``gpu:a100:4`` (a gres spec); ``4``, ``a100:4`` (a ``gpus*`` spec).
_GRES_GPU = re.compile(r"(?:^|,)gpu(?::[\w.-]+)?:(\d+)(?:\(|,|$)")


def gpu_count(spec: int | str | None) -> int | None:
    """The number in a GPU spec (``4``, ``"a100:4"``); ``None`` when unset."""
    if spec is None:
        return None
    if isinstance(spec, int):
        return spec
    return int(spec.rsplit(":", 1)[-1])


def gres_gpus(gres: str | None) -> int | None:
    """The GPUs per node in a ``--gres`` value (``gpu:4``, ``gpu:a100:4``); ``None`` when it names none."""
    if not gres:
        return None
    found = _GRES_GPU.search(gres)
    return int(found.group(1)) if found else None


def _fixed_nodes(nodes: int | str | None) -> int | None:
    if nodes is None:
        return 1
    if isinstance(nodes, int):
        return nodes
    low, _, high = nodes.partition("-")
    return int(low) if not high or low == high else None  # a range: the count is known only at run time


@attrs.frozen
class JobShape:
    """What a ``slurm:`` section asks for; ``None`` where SLURM decides (a node range, no GPU request)."""

    nodes: int | None
    tasks_per_node: int | None
    gpus_per_node: int | None

    @property
    def world_size(self) -> int | None:
        """The number of training processes, when fixed."""
        if self.nodes is None or self.tasks_per_node is None:
            return None
        return self.nodes * self.tasks_per_node

    def describe(self) -> str:
        """One line for the script's header."""
        nodes = "a range of nodes" if self.nodes is None else f"{self.nodes} node{'s' if self.nodes != 1 else ''}"
        tasks = "tasks as SLURM assigns" if self.tasks_per_node is None else \
            f"{self.tasks_per_node} training task{'s' if self.tasks_per_node != 1 else ''} per node"
        gpus = "" if not self.gpus_per_node else f", {self.gpus_per_node} GPU(s) per node (one per task)"
        world = f"; {self.world_size} process{'es' if self.world_size != 1 else ''} in all" \
            if self.world_size else ""
        return f"{nodes} x {tasks}{gpus}{world}"


def job_shape(slurm: Any) -> JobShape:
    """The shape of ``slurm`` (a :class:`~noether.core.schemas.SlurmConfig`), as far as it is fixed."""
    nodes = _fixed_nodes(slurm.nodes)
    per_node = gpu_count(slurm.gpus_per_node)
    if per_node is None:
        per_node = gres_gpus(slurm.gres)
    if per_node is None and slurm.gpus is not None and nodes:
        total = gpu_count(slurm.gpus) or 0
        per_node = total // nodes if total % nodes == 0 else None
    tasks = slurm.ntasks_per_node
    if tasks is None and slurm.ntasks is not None and nodes and slurm.ntasks % nodes == 0:
        tasks = slurm.ntasks // nodes
    if tasks is None and slurm.ntasks is None:
        tasks = 1  # srun's default: one task per node
    return JobShape(nodes=nodes, tasks_per_node=tasks, gpus_per_node=per_node)


def shape_issues(slurm: Any) -> list[Issue]:
    """Every inconsistency of the ``slurm:`` section, each at its field path (empty when the job makes sense)."""
    issues: list[Issue] = []

    def issue(field: str, message: str) -> None:
        issues.append(Issue(("slurm", field), message))

    nodes = _fixed_nodes(slurm.nodes)
    per_node_spec = gpu_count(slurm.gpus_per_node)
    gres = gres_gpus(slurm.gres)
    if per_node_spec is not None and gres is not None:
        issue("gres", f"requests GPUs ({slurm.gres!r}) and so does gpus_per_node={slurm.gpus_per_node!r}: "
                      "keep one of them")
    if slurm.gpus is not None and (per_node_spec is not None or gres is not None):
        issue("gpus", f"gpus={slurm.gpus!r} (in all) and GPUs per node are both set: keep gpus_per_node only")
    per_node = per_node_spec if per_node_spec is not None else gres
    where = "gpus_per_node" if per_node_spec is not None else "gres"
    tasks = slurm.ntasks_per_node
    if slurm.ntasks is not None and tasks is not None and nodes is not None and slurm.ntasks != nodes * tasks:
        issue("ntasks", f"ntasks={slurm.ntasks} but nodes={slurm.nodes} x ntasks_per_node={tasks} = "
                        f"{nodes * tasks}: remove ntasks (nodes x ntasks_per_node decides) or make them agree")
    if tasks is None and slurm.ntasks is not None and nodes:
        if slurm.ntasks % nodes:
            issue("ntasks", f"ntasks={slurm.ntasks} does not divide over nodes={slurm.nodes}: set ntasks_per_node "
                            "instead, so that every node trains the same number of processes")
        else:
            tasks = slurm.ntasks // nodes
    if per_node:
        if tasks is None and slurm.ntasks is None:
            if per_node > 1:
                issue("ntasks_per_node", f"is not set, but {where}={getattr(slurm, where)!r} asks for {per_node} "
                                         f"GPUs per node: noether trains one process per GPU, so set "
                                         f"ntasks_per_node: {per_node} (srun would start one task per node and "
                                         f"leave {per_node - 1} GPUs of each idle)")
        elif tasks is not None and tasks != per_node:
            field = "ntasks_per_node" if slurm.ntasks_per_node is not None else "ntasks"
            issue(field, f"{tasks} training task(s) per node, but {where}={getattr(slurm, where)!r} gives each "
                         f"node {per_node} GPU(s): noether trains one process per GPU, so set ntasks_per_node: "
                         f"{per_node} (or request {tasks} GPU(s) per node)")
    if slurm.gpus is not None and per_node is None:
        total = gpu_count(slurm.gpus) or 0
        if nodes is not None and total % nodes:
            issue("gpus", f"gpus={slurm.gpus!r} does not divide over nodes={slurm.nodes}: use gpus_per_node")
        elif nodes is not None and tasks is not None and total and total != nodes * tasks:
            issue("gpus", f"gpus={slurm.gpus!r} but the job starts {nodes * tasks} training task(s) "
                          f"(nodes x ntasks_per_node): noether trains one process per GPU, so make them agree")
        elif nodes is not None and tasks is None and slurm.ntasks is None and total > nodes:
            issue("ntasks_per_node", f"is not set, but gpus={slurm.gpus!r} over {nodes} node(s) means "
                                     f"{total // nodes} GPUs per node: set ntasks_per_node: {total // nodes}")
    return issues
