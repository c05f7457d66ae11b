"""The MLflow tracker: params (the flattened resolved config), metrics with step = update, and the summary."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from noether.core.trackers.base import Tracker

logger = logging.getLogger("noether")

# MLflow's documented limits (mlflow.utils.validation); kept here because that module is not public API.
MAX_PARAMS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 5000

#: Tags that tie an MLflow run to its Noether run (used to continue the MLflow run on resume).
TAG_RUN_ID = "noether.run_id"
TAG_STAGE = "noether.stage_name"
TAG_RUN_DIR = "noether.run_dir"

# Characters MLflow accepts in metric and param names on every platform (a colon is refused on Windows).
_INVALID = re.compile(r"[^\w.\- /]")


def mlflow_key(key: str) -> str:
    """``key`` as a valid MLflow metric/param name.

    Noether keys such as ``optim/lr/mlp/weight_decay=0`` hold characters MLflow refuses; they become ``_``.
    MLflow also refuses names that are not normalised paths (``a//b``, ``./a``, ``..``), so empty, ``.`` and
    ``..`` segments are dropped or escaped.
    """
    parts = []
    for part in _INVALID.sub("_", key).split("/"):
        if part in ("", "."):
            continue
        parts.append("__" if part == ".." else part)
    return "/".join(parts) or "_"


def summary_key(key: str) -> str:
    """The MLflow name of a summary entry: ``loss/val/total/min`` becomes ``summary/loss.val.total.min``."""
    return "summary/" + mlflow_key(key).replace("/", ".")


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted.key, leaf)`` pairs of a nested config; list items are keyed by position (``callbacks.0``)."""
    if isinstance(value, Mapping):
        if not value and prefix:
            yield prefix, {}
        for key, item in value.items():
            yield from flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | tuple):
        if not value and prefix:
            yield prefix, []
        for index, item in enumerate(value):
            yield from flatten(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix, value


def is_file_store(uri: str) -> bool:
    """Whether ``uri`` names MLflow's file store (a path or a ``file:`` URI)."""
    scheme = urlparse(uri).scheme
    # A one-letter "scheme" is a Windows drive letter, i.e. a path.
    return scheme in ("", "file") or len(scheme) == 1


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class MLflowTracker(Tracker):
    """Records a Noether run as an MLflow run.

    * Store: ``tracking_uri`` or, by default, the file store ``<run_dir>/mlruns`` (browse it with
      ``mlflow ui --backend-store-uri <run_dir>/mlruns``). MLflow 3 refuses file stores unless
      ``MLFLOW_ALLOW_FILE_STORE`` is true; the tracker sets it (if unset) only for a file store.
    * Params: the resolved config flattened to dotted keys (``trainer.max_epochs``), values cut to MLflow's
      6000 characters.
    * Metrics: every numeric value of each logged step with ``step`` = the update number (``update`` itself
      is the step and is not logged again); strings are skipped with one warning per key. Keys are made valid
      MLflow names (``weight_decay=0`` becomes ``weight_decay_0``).
    * Summary: numeric entries as metrics ``summary/<key with dots>`` at the last update, other entries as
      tags ``summary.<key>``, the whole summary as the artifact ``summary.json``.
    * Resume: a resumed run continues the MLflow run tagged with the same Noether run id and stage.
    """

    def __init__(self, config: Any, *, run_dir: Path, run_name: str, run_id: str, hp: dict[str, Any],
                 **kwargs: Any) -> None:
        super().__init__(config, run_dir=run_dir, run_name=run_name, run_id=run_id, hp=hp, **kwargs)
        stage: str | None = hp.get("stage_name")
        uri: str = config.tracking_uri or (Path(run_dir) / "mlruns").resolve().as_uri()
        if is_file_store(uri):
            # MLflow 3 keeps the file store but refuses it by default; a config that asks for it opts in.
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        self.tracking_uri = uri
        self._client = MlflowClient(tracking_uri=uri)
        self._closed = False
        self._last_step = 0
        #: Steps up to this one are in the MLflow run already (an in-place resume re-logs them): not logged.
        self._logged_through: int | None = None
        self._warned: set[str] = set()
        self._names: dict[str, str] = {}
        #: Everything passed to :meth:`set_summary`.
        self.summary: dict[str, Any] = {}

        experiment_id = self._experiment_id(config.experiment_name)
        existing = self._find_run(experiment_id, run_id, stage)
        if existing is not None:
            self.mlflow_run_id: str = existing.info.run_id
            self._client.update_run(self.mlflow_run_id, status="RUNNING")
            known_params = dict(existing.data.params)
            logger.info("MLflow: continuing run %s (%s)", self.mlflow_run_id, uri)
        else:
            name = config.run_name or (f"{run_name}/{stage}" if stage else run_name)
            tags = {TAG_RUN_ID: run_id, TAG_STAGE: stage or "default", TAG_RUN_DIR: str(run_dir)}
            created = self._client.create_run(experiment_id, run_name=name, tags=tags)
            self.mlflow_run_id = created.info.run_id
            known_params = {}
            logger.info("MLflow: run %s in experiment '%s' (%s)", self.mlflow_run_id, config.experiment_name,
                        uri)
        self._log_params(hp, known_params)

    # -- set-up --------------------------------------------------------------------------------------------
    def _experiment_id(self, name: str) -> str:
        experiment = self._client.get_experiment_by_name(name)
        if experiment is not None:
            return str(experiment.experiment_id)
        try:
            return str(self._client.create_experiment(name))
        except MlflowException:
            # Another process created it in the meantime (several runs sharing one store).
            experiment = self._client.get_experiment_by_name(name)
            if experiment is None:
                raise
            return str(experiment.experiment_id)

    def _find_run(self, experiment_id: str, run_id: str, stage: str | None) -> Any:
        if "'" in run_id:  # cannot be quoted in MLflow's filter syntax; such a run simply starts afresh
            return None
        runs = self._client.search_runs([experiment_id], filter_string=f"tags.`{TAG_RUN_ID}` = '{run_id}'")
        for found in runs:
            if found.data.tags.get(TAG_STAGE) == (stage or "default"):
                return found
        return None

    def _log_params(self, hp: dict[str, Any], known: dict[str, str]) -> None:
        params: dict[str, str] = {}
        for key, value in flatten(hp):
            name = mlflow_key(key)
            text = str(value)
            if len(text) > MAX_PARAM_VALUE_LENGTH:
                text = text[:MAX_PARAM_VALUE_LENGTH - 3] + "..."
            params[name] = text
        new = [Param(name, text) for name, text in params.items() if name not in known]
        # MLflow params are immutable: a resumed run whose config changed (resume_run_id, a longer max_epochs)
        # keeps the values it started with.
        changed = sorted(name for name, text in params.items() if name in known and known[name] != text)
        if changed:
            logger.warning("MLflow: %d param(s) changed since the MLflow run started and keep their first "
                           "value: %s", len(changed), ", ".join(changed))
        for batch in _chunks(new, MAX_PARAMS_PER_BATCH):
            self._client.log_batch(self.mlflow_run_id, params=batch)

    # -- logging -------------------------------------------------------------------------------------------
    def _name(self, key: str) -> str:
        name = mlflow_key(key)
        first = self._names.setdefault(name, key)
        if first != key and name not in self._warned:
            self._warned.add(name)
            logger.warning("MLflow: metrics '%s' and '%s' are both recorded as '%s'", first, key, name)
        return name

    def _metrics(self, values: Mapping[str, Any], step: int) -> list[Metric]:
        timestamp = int(time.time() * 1000)
        metrics = []
        for key, value in values.items():
            if key == "update":
                continue
            if _is_number(value):
                metrics.append(Metric(self._name(key), float(value), timestamp, step))
            elif key not in self._warned:
                self._warned.add(key)
                logger.warning("MLflow: '%s' is a %s, not a number; MLflow metrics are numbers, so it is "
                               "skipped", key, type(value).__name__)
        return metrics

    def resumed_at(self, update: int) -> None:
        """MLflow appends metric history: the steps after ``update`` that the interrupted run logged already
        are not logged again (a resumed run reproduces them exactly)."""
        super().resumed_at(update)
        run = self._client.get_run(self.mlflow_run_id)
        logged = [m.step for key in run.data.metrics for m in self._client.get_metric_history(self.mlflow_run_id, key)
                  if not key.startswith("summary/")]
        newest = max(logged, default=update)
        self._logged_through = newest if newest > update else None

    def log(self, metrics: dict[str, Any], step: int) -> None:
        """Log the numeric metrics of one step at MLflow step ``step`` (the update number)."""
        self._last_step = max(self._last_step, step)
        if self._logged_through is not None and step <= self._logged_through:
            return
        self._log_metrics(self._metrics(metrics, step))

    def _log_metrics(self, metrics: list[Metric]) -> None:
        for batch in _chunks(metrics, MAX_METRICS_PER_BATCH):
            try:
                self._client.log_batch(self.mlflow_run_id, metrics=batch)
            except MlflowException:
                # One bad name must not lose the batch (nor stop training): the file store keeps a metric as
                # a file at its name, so ``a`` and ``a/b`` cannot both exist. Retry one by one, warn for the
                # rest.
                for metric in batch:
                    try:
                        self._client.log_batch(self.mlflow_run_id, metrics=[metric])
                    except MlflowException as exc:
                        if metric.key not in self._warned:
                            self._warned.add(metric.key)
                            logger.warning("MLflow: metric '%s' could not be recorded: %s", metric.key, exc)

    def set_summary(self, summary: dict[str, Any]) -> None:
        """Log the summary's numbers as metrics (:func:`summary_key`), the rest as tags; save it as JSON."""
        self.summary.update(summary)
        # A file store keeps a metric as a file at its name, so "loss/val/total/min" cannot sit next to the
        # metric "loss/val/total", nor "param_count/mlp/frozen" next to "param_count/mlp" (both in the
        # summary): summary names are dotted below one "summary/" folder, "summary/loss.val.total.min".
        numbers = {summary_key(k): v for k, v in summary.items() if _is_number(v)}
        tags = [RunTag(f"summary.{mlflow_key(k)}", str(v)[:MAX_TAG_VALUE_LENGTH])
                for k, v in summary.items() if not _is_number(v)]
        self._log_metrics(self._metrics(numbers, self._last_step))
        for tag_batch in _chunks(tags, MAX_PARAMS_PER_BATCH):
            self._client.log_batch(self.mlflow_run_id, tags=tag_batch)
        try:
            self._client.log_dict(self.mlflow_run_id, self.summary, "summary.json")
        except Exception as exc:  # a remote artifact store may lack credentials; the metrics are recorded
            logger.warning("MLflow: could not store summary.json as an artifact: %s", exc)

    def close(self) -> None:
        """Mark the MLflow run finished; safe to call twice."""
        if not self._closed:
            self._closed = True
            self._client.set_terminated(self.mlflow_run_id, status="FINISHED")
