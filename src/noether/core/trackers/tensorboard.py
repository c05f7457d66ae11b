"""TensorBoard tracker: event files under ``<run_dir>/<log_dir>``."""

from __future__ import annotations

import logging
import numbers
from pathlib import Path
from typing import Any

from noether.core.trackers.base import Tracker, missing_package

logger = logging.getLogger("noether")

#: Keys not written as scalars: the update is the x axis of every scalar already.
_STEP_KEYS = frozenset({"update"})


def _markdown_code(text: str) -> str:
    """``text`` as a Markdown code block (TensorBoard renders text summaries as Markdown)."""
    # Indented blocks rather than fences: every Markdown flavour TensorBoard has shipped renders them.
    return "\n".join("    " + line for line in text.splitlines())


def _markdown_table(values: dict[str, Any]) -> str:
    rows = ["| metric | value |", "| --- | --- |"]
    rows += [f"| {key} | {value} |" for key, value in sorted(values.items())]
    return "\n".join(rows)


def _is_number(value: Any) -> bool:
    # bool is an int, but a flag plotted as a curve is still meaningful (0/1), so it is kept as a number.
    return isinstance(value, numbers.Real)


class TensorboardTracker(Tracker):
    """Writes scalars, the resolved config and the summary to TensorBoard event files.

    The event files go to ``<run_dir>/<log_dir>`` (``runs`` by default); ``tensorboard --logdir OUTPUT_PATH``
    shows every run below an output path side by side. Unlike upstream, the step of every scalar is the
    update number (not a count of log calls), so curves of runs with different log intervals line up.
    Numbers become scalars, strings become text; other values are skipped with one warning per key. The
    resolved config is the text ``Configuration``, the summary the text ``Summary Metrics`` plus scalars
    ``summary/<key>``.
    """

    def __init__(self, config: Any, *, run_dir: Path, run_name: str, run_id: str, hp: dict[str, Any],
                 **kwargs: Any) -> None:
        super().__init__(config, run_dir=run_dir, run_name=run_name, run_id=run_id, hp=hp, **kwargs)
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:  # torch ships the writer but needs the tensorboard package for it
            raise missing_package("tensorboard", "trackers") from exc
        from noether.core.config.dump import dump_yaml

        self.log_dir = run_dir / config.log_dir
        self._writer_class = SummaryWriter
        self._writer: Any = SummaryWriter(log_dir=str(self.log_dir), flush_secs=config.flush_secs)
        self._last_step = 0
        self._warned: set[str] = set()
        #: Everything passed to :meth:`set_summary`.
        self.summary: dict[str, Any] = {}
        header = f"run **{run_name}** (id `{run_id}`)\n\n"
        self._writer.add_text("Configuration", header + _markdown_code(dump_yaml(hp)), global_step=0)
        logger.info("TensorBoard event files in %s", self.log_dir)

    def resumed_at(self, update: int) -> None:
        """Continue with a new event file that purges the steps after ``update`` (TensorBoard's ``purge_step``):
        the interrupted run's records of them are hidden, the re-run's shown once."""
        super().resumed_at(update)
        if self._writer is None:
            return
        self._writer.close()
        self._writer = self._writer_class(log_dir=str(self.log_dir), flush_secs=self.config.flush_secs,
                                          purge_step=update + 1)

    def log(self, metrics: dict[str, Any], step: int) -> None:
        """Write one step: numbers as scalars and strings as text, at step ``step`` (the update number)."""
        if self._writer is None:
            return
        self._last_step = max(self._last_step, step)
        for key, value in metrics.items():
            if key in _STEP_KEYS:
                continue
            if _is_number(value):
                self._writer.add_scalar(key, float(value), global_step=step)
            elif isinstance(value, str):
                self._writer.add_text(key, value, global_step=step)
            elif key not in self._warned:
                self._warned.add(key)
                logger.warning("TensorBoard: metric '%s' is a %s, neither a number nor a string; not written",
                               key, type(value).__name__)

    def set_summary(self, summary: dict[str, Any]) -> None:
        """Write the summary as the text ``Summary Metrics`` and its numbers as scalars ``summary/<key>``."""
        self.summary.update(summary)
        if self._writer is None:
            return
        for key, value in summary.items():
            if _is_number(value):
                self._writer.add_scalar(f"summary/{key}", float(value), global_step=self._last_step)
        self._writer.add_text("Summary Metrics", _markdown_table(self.summary), global_step=self._last_step)
        self._writer.flush()

    def close(self) -> None:
        """Flush and close the event file; safe to call twice."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.flush()
            writer.close()
