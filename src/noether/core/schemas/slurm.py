"""SLURM job settings: every field is an sbatch directive except ``env_path``."""


import re
from collections.abc import Iterator
from typing import Annotated

import attrs

from noether.core.schemas._base import Schema
from noether.core.schemas._constraints import Ge, Matches, PositiveInt

_TIME = Matches(r"(\d+-)?(\d+:)?\d+(:\d+)?|unlimited|infinite", "a SLURM time (minutes, MM:SS, HH:MM:SS, "
                "D-HH, D-HH:MM, D-HH:MM:SS, UNLIMITED)", re.IGNORECASE)
_MEM = Matches(r"\d+(\.\d+)?[KMGT]?B?", "a SLURM memory size (number with optional K/M/G/T suffix)",
               re.IGNORECASE)
_ARRAY = Matches(r"(\d+(-\d+(:\d+)?)?)(,\d+(-\d+(:\d+)?)?)*(%\d+)?",
                 "a SLURM array spec (e.g. 0-15, 1,3,5, 1-7%2, 1-7:2%4)")
_GPUS = Matches(r"(\w+:)?\d+", "a GPU count or type:count (e.g. 2, v100:4)")
_NODES = Matches(r"\d+(-\d+)?", "a node count or range (e.g. 2, 2-4)")

GpuSpec = Annotated[int, Ge(0)] | Annotated[str, _GPUS]


@attrs.frozen(kw_only=True)
class SlurmConfig(Schema):
    """sbatch directives, rendered in declaration order by :meth:`to_srun_args`."""

    job_name: str | None = None
    partition: str | None = None
    reservation: str | None = None
    nodes: PositiveInt | Annotated[str, _NODES] | None = None
    ntasks: PositiveInt | None = None
    ntasks_per_node: PositiveInt | None = None
    cpus_per_task: PositiveInt | None = None
    mem: Annotated[str, _MEM] | None = None
    gpus: GpuSpec | None = None
    gpus_per_node: GpuSpec | None = None
    gres: str | None = None
    time: Annotated[str, _TIME] | None = None
    begin: str | None = None
    output: str | None = None
    error: str | None = None
    array: Annotated[str, _ARRAY] | None = None
    kill_on_invalid_dep: bool | None = None
    nice: int | None = None
    chdir: str | None = None
    #: Shell file sourced inside the job before running (e.g. a virtual environment's ``bin/activate``).
    env_path: str | None = None

    def _check(self) -> Iterator[tuple[str, str]]:
        for name in ("nodes", "gpus", "gpus_per_node"):
            value = getattr(self, name)
            if isinstance(value, str):
                constraint = _NODES if name == "nodes" else _GPUS
                msg = constraint.check(value)
                if msg:
                    yield name, msg
            elif isinstance(value, int) and not isinstance(value, bool) and value < 0:
                yield name, f"must be >= 0, got {value}"

    def directives(self) -> list[tuple[str, str | None]]:
        """``(flag, value)`` pairs for every set directive (``value`` ``None`` for bare flags)."""
        out: list[tuple[str, str | None]] = []
        for f in attrs.fields(type(self)):
            value = getattr(self, f.name)
            if value is None or f.name == "env_path":
                continue
            flag = "--" + f.name.replace("_", "-")
            if isinstance(value, bool):
                if value:
                    out.append((flag, None))
            else:
                out.append((flag, str(value)))
        return out

    def to_srun_args(self) -> str:
        """Every set directive as ``--flag=value`` (bare ``--flag`` for true booleans), space-separated."""
        return " ".join(flag if value is None else f"{flag}={value}" for flag, value in self.directives())
