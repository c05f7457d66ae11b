"""Trackio tracker: a local-first tracker (SQLite under ``TRACKIO_DIR``), optionally synced to a HF Space."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from noether.core.trackers.base import Tracker, missing_package

logger = logging.getLogger("noether")


def trackio_run_name(run_name: str, run_id: str, stage_name: str | None) -> str:
    """The Trackio run name: ``run_name_run_id`` (just the id when the run has no name), then ``/stage``.

    Trackio identifies runs of a project by name and resumes a run whose name exists, so the name must carry
    the run id (two runs named alike stay apart) and the stage (two stages of one run stay apart).
    """
    label = run_id if run_name == run_id else f"{run_name}_{run_id}"
    return f"{label}/{stage_name}" if stage_name else label


class TrackioTracker(Tracker):
    """Sends metrics, the resolved config and the summary to Trackio.

    Trackio stores every project in a local SQLite database under ``TRACKIO_DIR`` (default
    ``~/.cache/huggingface/trackio``; ``trackio show`` opens the dashboard); with ``space_id`` it syncs to a
    Hugging Face Space. Metrics are logged with the update number as the step. Trackio writes a run's config
    with its first logged step and has no summary of its own, so the summary is logged as a last entry at the
    final update (keys ``<metric>/min|max|last``).
    """

    def __init__(self, config: Any, *, run_dir: Path, run_name: str, run_id: str, hp: dict[str, Any],
                 **kwargs: Any) -> None:
        super().__init__(config, run_dir=run_dir, run_name=run_name, run_id=run_id, hp=hp, **kwargs)
        try:
            import trackio
        except ImportError as exc:
            raise missing_package("trackio") from exc
        self._trackio: Any = trackio
        stage = hp.get("stage_name")
        self._last_step = 0
        #: Everything passed to :meth:`set_summary`.
        self.summary: dict[str, Any] = {}
        run_config = {"run_name": run_name, "run_id": run_id, "stage_name": stage or "default",
                      "run_dir": str(run_dir), "hp": hp}
        self._run: Any = trackio.init(
            project=config.project,
            name=trackio_run_name(run_name, run_id, stage),
            space_id=config.space_id,
            config=run_config,
            # Continue the Trackio run when a Noether run is resumed under its own id.
            resume="allow",
        )
        logger.info("Trackio run %s in project %s", self._run.name, config.project)

    def log(self, metrics: dict[str, Any], step: int) -> None:
        """Log one step's metrics at step ``step`` (the update number)."""
        if self._run is not None:
            self._last_step = max(self._last_step, step)
            self._run.log(dict(metrics), step=step)

    def set_summary(self, summary: dict[str, Any]) -> None:
        """Log ``summary`` as one entry at the last logged update."""
        self.summary.update(summary)
        if self._run is not None and summary:
            self._run.log(dict(summary), step=self._last_step)

    def close(self) -> None:
        """Finish the run (waits for buffered entries to be written); safe to call twice."""
        run, self._run = self._run, None
        if run is None:
            return
        # trackio.finish() also clears Trackio's "current run", so that its exit hook does not finish this run
        # a second time; it only applies while this run is the current one.
        current = getattr(getattr(self._trackio, "context_vars", None), "current_run", None)
        if current is not None and current.get() is run:
            self._trackio.finish()
        else:
            run.finish()
