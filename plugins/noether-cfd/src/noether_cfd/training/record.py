"""The run's normalization record: what ``noether predict`` needs to undo the training data's normalizers.

Written once, atomically, at the start of training to ``<run_dir>/cfd_normalization.json``: the train
dataset's normalizer configs per key (exactly what the dataset applied, whether they came from the config, a
``noether stats`` file or the dataset itself).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from noether.core.callbacks.base import CallbackBase

#: File name of the record inside the run directory.
RECORD_FILE = "cfd_normalization.json"
RECORD_VERSION = 1


def normalizer_configs(dataset: Any) -> dict[str, list[dict[str, Any]]]:
    """The normalizer configs of ``dataset`` (through wrappers), unstructured, per key."""
    from noether.core.config.converter import unstructure

    chains = getattr(dataset, "normalizers", None) or {}
    return {key: [unstructure(n.config) for n in chain.normalizers] for key, chain in sorted(chains.items())}


def write_record(run_dir: Path, dataset: Any, dataset_key: str) -> Path:
    """Write the record of ``dataset`` into ``run_dir`` (temporary file, then rename)."""
    record = {"version": RECORD_VERSION, "dataset_key": dataset_key, "normalizers": normalizer_configs(dataset)}
    path = run_dir / RECORD_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_record(run_dir: Path) -> dict[str, Any]:
    """The record of a run; ``FileNotFoundError`` with a fix when the run has none."""
    path = run_dir / RECORD_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{run_dir} has no {RECORD_FILE} (the normalization statistics of its training data); runs trained "
            "with trainer kind noether_cfd.CfdTrainer write it when training starts - retrain with that trainer"
        )
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


class NormalizationRecord(CallbackBase):
    """Writes :data:`RECORD_FILE` before the first update (rank 0; also on resume, with the same content)."""

    def __init__(self, config: Any, *, run_dir: Path, dataset: Any, dataset_key: str, is_rank0: bool,
                 **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.run_dir = run_dir
        self.dataset = dataset
        self.dataset_key = dataset_key
        self.is_rank0 = is_rank0

    def before_training(self, counter: Any) -> None:
        """Write the record."""
        if self.is_rank0:
            write_record(self.run_dir, self.dataset, self.dataset_key)
