"""Per-step metric cache, flushed to a local JSON-lines file and the tracker; keeps a min/max/last summary."""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import IO, Any, Protocol

from noether.core.writers.metric_direction import metric_direction

logger = logging.getLogger("noether")


class _Counter(Protocol):
    epoch: int
    update: int
    sample: int


class _Tracker(Protocol):
    def log(self, metrics: dict[str, Any], step: int) -> None: ...


_NUMBERS = (int, float)


def _to_number(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value


class LogWriter:
    """Collects the scalars logged during one update; ``flush`` ends the step, a JSON line in the metrics file.

    Rows reach the file when the writer syncs: at most once a second, before every checkpoint (the trainer
    calls :meth:`sync` first) and on :meth:`close`. They are encoded then, all at once: encoding a row right
    after an update's kernels costs several times what it costs in a batch. Logging the same key twice in
    one step is a programming error and raises ``KeyError``.
    """

    def __init__(self, metrics_path: Path | None, tracker: _Tracker | None, counter: _Counter) -> None:
        self._file: IO[str] | None = None
        if metrics_path is not None:
            metrics_path.parent.mkdir(parents=True, exist_ok=True)
            self._file = metrics_path.open("a", encoding="utf-8")
        self.metrics_path = metrics_path
        self.tracker = tracker
        self.counter = counter
        self.cache: dict[str, Any] = {}
        #: Flushed rows not yet in the file (written by :meth:`sync`).
        self._pending: list[dict[str, Any]] = []
        self._synced_at = time.monotonic()
        self.summary: dict[str, dict[str, float]] = {}
        self.last_flushed: dict[str, Any] = {}
        #: Last value of every key ever flushed.
        self.last_values: dict[str, Any] = {}

    def add_scalar(self, key: str, value: Any, *, console: bool = False, fmt: str = ".5f") -> None:
        """Log one scalar for the current update (tensors and NumPy scalars are converted)."""
        key = key.rstrip("/")
        if not self.cache:
            c = self.counter
            self.cache = {"epoch": c.epoch, "update": c.update, "sample": c.sample}
        if key in self.cache:
            raise KeyError(f"metric '{key}' was logged twice at update {self.counter.update}")
        number = value if type(value) is float else _to_number(value)
        if number is not None and not isinstance(number, int | float | str):
            # Rows are encoded later (at sync): refuse here what JSON cannot encode, so the error names the
            # metric and the update that logged it.
            raise TypeError(f"metric '{key}' at update {self.counter.update}: expected a number (or a one-element "
                            f"tensor), got {type(number).__name__}")
        self.cache[key] = number
        if console:
            shown = format(number, fmt) if isinstance(number, float) else number
            logger.info("%s: %s", key, shown)

    def has(self, key: str) -> bool:
        """Whether ``key`` was already logged in the current step."""
        return key in self.cache

    def get(self, key: str) -> Any:
        """A value logged in the current step (``KeyError`` if absent)."""
        return self.cache[key]

    @property
    def current(self) -> dict[str, Any]:
        """Everything logged in the current step so far (with the counters, once anything is logged)."""
        return self.cache

    def flush(self) -> None:
        """Write the current step (if anything was logged) and start a new one."""
        if not self.cache:
            return
        cache, self.cache = self.cache, {}
        for key, value in cache.items():
            direction = metric_direction(key)  # cached per key (and cleared when a rule is registered)
            if direction != "neutral" and isinstance(value, _NUMBERS) and not isinstance(value, bool):
                self._summarize(key, float(value), direction)
        if self._file is not None:
            self._pending.append(cache)
            # One write per second at most, not per step; checkpoints call sync() first, so a crash never
            # loses lines that a resumed run would not log again.
            if time.monotonic() - self._synced_at >= 1.0:
                self.sync()
        if self.tracker is not None:
            # A copy: the row is encoded later, and what a tracker does to its argument must not reach the file.
            self.tracker.log(dict(cache), step=cache["update"])
        self.last_flushed = cache
        self.last_values.update(cache)

    def _summarize(self, key: str, value: float, direction: str) -> None:
        entry = self.summary.get(key)
        if entry is None:
            entry = self.summary[key] = {"last": value}
        entry["last"] = value
        if math.isnan(value):
            return
        best = "max" if direction == "higher" else "min"
        current = entry.get(best)
        if current is None or (value > current if best == "max" else value < current):
            entry[best] = value

    def summary_flat(self) -> dict[str, float]:
        """``{<key>/min|max|last: value}`` for every non-neutral metric."""
        return {f"{key}/{stat}": value for key, stats in sorted(self.summary.items()) for stat, value in
                sorted(stats.items())}

    def state_dict(self) -> dict[str, Any]:
        """The summary accumulators (so a resumed run reports the same summary)."""
        return {"summary": {k: dict(v) for k, v in self.summary.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self.summary = {k: dict(v) for k, v in state.get("summary", {}).items()}

    def sync(self) -> None:
        """Write the flushed rows to the file and push them to the operating system."""
        if self._file is not None:
            pending, self._pending = self._pending, []
            if pending:
                self._file.write("".join(json.dumps(row, allow_nan=True) + "\n" for row in pending))
            self._file.flush()
        self._synced_at = time.monotonic()

    def close(self) -> None:
        """Flush, write every row and close the metrics file."""
        self.flush()
        if self._file is not None:
            try:
                self.sync()
            finally:
                self._file.close()
                self._file = None


def truncate_metrics(path: Path, after_update: int) -> None:
    """Drop metric lines logged after ``after_update`` (a resumed run re-logs them).

    A partial last line (the disk filled up, or the process was killed while writing it) is dropped with a
    warning; a damaged line before the last one is an error that names the file and line.
    """
    if not path.exists():
        return
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    kept = []
    for number, line in enumerate(lines, start=1):
        try:
            row = json.loads(line)
        except ValueError:
            if number == len(lines):
                logger.warning("%s: the last line is incomplete (the run was cut off while writing it); "
                               "dropping it", path)
                break
            raise ValueError(f"{path}:{number}: not a JSON metrics row; repair or remove that line to resume "
                             "in this run directory") from None
        if row.get("update", 0) <= after_update:
            kept.append(line)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
    tmp.replace(path)
