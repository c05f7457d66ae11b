"""Config of the MLflow tracker (validated by ``noether check`` without importing mlflow)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import attrs

from noether.core.schemas import Schema


@attrs.frozen(kw_only=True)
class MLflowTrackerSchema(Schema):
    """MLflow tracking: a local file store in the run directory by default, or any MLflow tracking URI."""

    kind: Literal["noether_mlflow.MLflowTracker"] = "noether_mlflow.MLflowTracker"
    #: Where runs are recorded: ``None`` for the file store ``<run_dir>/mlruns``, a ``file:`` URI or path, or
    #: a tracking server (``http://host:5000``, ``databricks``, ...).
    tracking_uri: str | None = None
    #: The MLflow experiment (created when missing).
    experiment_name: str = "noether"
    #: The MLflow run name (``None``: the Noether run name, with ``/stage`` for a staged run).
    run_name: str | None = None

    def _check(self) -> Iterator[tuple[str, str]]:
        if not self.experiment_name.strip():
            yield "experiment_name", "must not be blank"
        if self.tracking_uri is not None and not self.tracking_uri.strip():
            yield "tracking_uri", "must not be blank (leave it out for the run directory's file store)"
