"""The root config: everything one run needs."""


from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import attrs

from noether.core.errors import PathPart, with_guesses
from noether.core.schemas._base import Schema
from noether.core.schemas._constraints import Between, NonBlankStr
from noether.core.schemas._types import AnyFloat, TypeHint
from noether.core.schemas.dataset import AnyDatasetConfig
from noether.core.schemas.models import AnyModelConfig
from noether.core.schemas.plugins import PluginsConfig
from noether.core.schemas.slurm import SlurmConfig
from noether.core.schemas.trainers import AnyTrainerConfig
from noether.core.schemas.unions import AnyNormalizer, AnyTracker

_PORT_HINT = ("Noether takes one port; for upstream's range [low, high] give one port from it, or leave "
              "master_port unset (MASTER_PORT, or a free port when the run starts)")


def _to_path(value: Any) -> Path:
    return value if isinstance(value, Path) else Path(str(value)).expanduser()


@attrs.frozen(kw_only=True)
class ConfigSchema(Schema):
    """The root of a Noether config. Unknown top-level keys are rejected (upstream ignores them)."""

    #: Accepted and dropped: written by upstream's ``hp_resolved.yaml``.
    __ignored_keys__: ClassVar[frozenset[str]] = frozenset({"config_schema_kind"})

    #: Experiment name; the run name is this plus the command-line overrides.
    name: NonBlankStr | None = None
    #: ``cpu``, ``gpu`` or ``mps``; ``None`` picks the best available when the run starts.
    accelerator: Literal["cpu", "gpu", "mps"] | None = None
    #: Stage of the run (``train``, ``finetune``, ...); the run directory is ``run_id/stage_name``.
    stage_name: NonBlankStr | None = None
    #: Helper value for configs that share a dataset kind between several datasets.
    dataset_kind: str | None = None
    #: Helper value for configs that share a dataset root between several datasets.
    dataset_root: str | None = None
    #: Resume this run (its latest checkpoint unless ``resume_checkpoint`` says otherwise).
    resume_run_id: NonBlankStr | None = None
    #: Stage of the run to resume.
    resume_stage_name: NonBlankStr | None = None
    #: ``latest`` (default), ``last``, ``E3``, ``U120``, ``S4000``, ``E3_U120_S4000`` or any other tag whose
    #: checkpoint holds trainer state (best-model checkpoints hold weights only: load them with an initializer).
    resume_checkpoint: NonBlankStr | None = None
    #: Base seed; each process uses ``seed + rank``.
    seed: int = 0
    #: Precomputed statistics (mean, std, ...) per name.
    dataset_statistics: dict[NonBlankStr, list[AnyFloat]] | None = None
    #: Normalizers per data source, shared by every dataset.
    dataset_normalizer: dict[NonBlankStr, list[AnyNormalizer]] | None = None
    #: Experiment tracker; ``None``/``disabled``: only the local metrics file.
    tracker: AnyTracker | None = None
    #: Run id; generated (``YYYY-MM-DD_xxxxx``) when not given.
    run_id: NonBlankStr | None = None
    #: Comma-separated device ids (``"0,1"``); ``None``: every visible GPU, or one CPU process.
    devices: str | None = None
    #: DataLoader worker processes; ``None``: CPUs per device minus one.
    num_workers: Annotated[int, Between(0, 1024)] | None = None
    cudnn_benchmark: bool = True
    cudnn_deterministic: bool = False
    #: Datasets by key; ``train`` is the training set (default: the first one).
    datasets: dict[NonBlankStr, AnyDatasetConfig]
    model: AnyModelConfig
    trainer: AnyTrainerConfig
    #: Debug logging, no tracker, outputs under ``output_path/debug``.
    debug: bool = False
    #: Archive the git working tree into the run directory (a failure only warns).
    store_code_in_output: bool = True
    #: Root of all run directories.
    output_path: Path = attrs.field(converter=_to_path)
    #: Port of the distributed master; ``None``: ``MASTER_PORT`` or a free port when the run starts.
    #: One port only: upstream's range ``[low, high]`` is rejected with a hint (see the migration guide).
    master_port: Annotated[int, Between(1, 65535), TypeHint(_PORT_HINT)] | None = None
    #: SLURM settings used by ``noether submit``.
    slurm: SlurmConfig | None = None
    #: Plugins this config requires, disables or prefers.
    plugins: PluginsConfig = attrs.field(factory=PluginsConfig)

    def _check(self) -> Iterator[tuple[str | tuple[PathPart, ...], str]]:
        if not self.datasets:
            yield "datasets", "at least one dataset is required"
        # A callback iterates over datasets[dataset_key]: a key that names none fails here, not at run time.
        known = list(self.datasets)
        for index, callback in enumerate(getattr(self.trainer, "callbacks", None) or ()):
            key = getattr(callback, "dataset_key", None)
            if isinstance(key, str) and known and key not in self.datasets:
                yield (("trainer", "callbacks", index, "dataset_key"),
                       f"no dataset {with_guesses([key], known)}; datasets: {', '.join(known)}")
        if self.devices is not None:
            parts = [p.strip() for p in self.devices.split(",")]
            if not all(p.isdigit() for p in parts):
                yield "devices", f"must be comma-separated device ids like '0' or '0,1', got {self.devices!r}"

    @property
    def config_schema_kind(self) -> str:
        """The fully qualified import path of this config class."""
        return f"{type(self).__module__}.{type(self).__qualname__}"

    @property
    def train_dataset_key(self) -> str:
        """The key of the training dataset: ``train`` if present, else the first one."""
        return "train" if "train" in self.datasets else next(iter(self.datasets))
