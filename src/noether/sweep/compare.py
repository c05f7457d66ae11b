"""The table of ``noether compare SWEEP_DIR``: chosen metrics per point, best first.

Metrics come from each point's ``summary.json`` (``<metric>/min``, ``/max``, ``/last``). A metric named without a
suffix uses ``/last``. Which way is best comes from the metric's name (``loss``, ``error``: lower; ``accuracy``:
higher; see :mod:`noether.core.writers.metric_direction`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from noether.sweep.index import SweepIndex

_SUFFIXES = ("/last", "/min", "/max")


@attrs.frozen
class Row:
    """One point of the table."""

    run_id: str
    overrides: tuple[str, ...]
    status: str
    values: tuple[float | None, ...]


def _summary(run_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _run_dir(directory: Path, run_id: str) -> Path:
    """The point's run directory (a stage directory below it when the config has a stage name)."""
    root = directory / run_id
    if (root / "summary.json").exists() or not root.is_dir():
        return root
    stages = sorted(p for p in root.iterdir() if (p / "summary.json").exists())
    return stages[0] if stages else root


def default_metrics(summaries: Sequence[dict[str, Any]]) -> list[str]:
    """Every metric with a direction, without the online training losses and timings."""
    from noether.core.writers.metric_direction import metric_direction

    keys: set[str] = set()
    for summary in summaries:
        for key, value in summary.items():
            if key.endswith("/last") and isinstance(value, (int, float)):
                name = key[: -len("/last")]
                if metric_direction(name) != "neutral" and "/online/" not in f"/{name}/":
                    keys.add(name)
    return sorted(keys, key=lambda k: (not k.startswith("loss/"), k))


def _value(summary: dict[str, Any], metric: str) -> float | None:
    key = metric if metric.endswith(_SUFFIXES) else f"{metric}/last"
    value = summary.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def build_table(directory: Path, metrics: Sequence[str] = ()) -> tuple[list[str], list[Row]]:
    """The metric names and the rows, best first by the first metric (points without it last)."""
    from noether.core.writers.metric_direction import metric_direction

    index = SweepIndex.load(directory)
    summaries = {p.run_id: _summary(_run_dir(directory, p.run_id)) for p in index.points}
    chosen = list(metrics) or default_metrics(list(summaries.values()))
    rows = []
    for point in index.points:
        status = "done" if index.is_done(point) else point.status
        values = tuple(_value(summaries[point.run_id], m) for m in chosen)
        rows.append(Row(point.run_id, tuple(point.overrides), status, values))
    if chosen:
        first = chosen[0]
        for suffix in _SUFFIXES:
            first = first.removesuffix(suffix)
        sign = -1.0 if metric_direction(first) == "higher" else 1.0

        def order(row: Row) -> tuple[bool, float]:
            value = row.values[0]
            missing = value is None or math.isnan(value)
            return missing, 0.0 if missing else sign * value  # type: ignore[operator]

        rows.sort(key=order)
    return chosen, rows


def render_table(metrics: Sequence[str], rows: Sequence[Row]) -> str:
    """A plain-text table with one line per point."""
    header = ["run", "status", "overrides", *metrics]
    lines = [[r.run_id, r.status, " ".join(r.overrides),
              *("-" if v is None else f"{v:.6g}" for v in r.values)] for r in rows]
    widths = [max(len(str(c)) for c in column) for column in zip(header, *lines, strict=True)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    return "\n".join(out) + "\n"
