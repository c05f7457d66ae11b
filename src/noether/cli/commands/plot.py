"""``noether plot RUN_DIR [RUN_DIR...]``: draw the loss and metric curves of runs into one PNG.

Reads only ``<run_dir>/metrics.jsonl`` (and ``hp_resolved.yaml`` for the run id and dataset names), so it
works on finished, crashed and running runs alike, and never imports torch.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from noether.core.exit_codes import EXIT_USAGE
from noether.core.layout import RunLayout

#: Counter keys: the possible x axes, never plotted as metrics.
COUNTERS = ("epoch", "update", "sample")

#: Key segments that name where a metric was measured rather than what it is; a metric family ignores them so
#: that, e.g., the online training loss and the validation loss share one subplot.
SPLIT_SEGMENTS = frozenset({"online", "train", "training", "val", "valid", "validation", "test", "eval"})

#: Interval suffixes of the default callbacks (``loss/online/total/U10``: averaged every 10 updates).
_INTERVAL = re.compile(r"^[EUS]\d+$")

#: More subplots than this make an unreadable picture; the rest are named in a warning.
MAX_SUBPLOTS = 24

_LINESTYLES = ("-", "--", ":", "-.")


class PlotError(Exception):
    """A user error (no run directory, nothing to plot); reported as ``error: ...`` with exit status 2."""


@dataclass
class RunCurves:
    """The numeric metric series of one run: ``key -> (x values, y values)``."""

    path: Path
    label: str
    splits: frozenset[str]
    series: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)


def add_parser(subparsers: Any) -> None:
    """Register the ``plot`` subcommand."""
    p = subparsers.add_parser(
        "plot",
        help="draw the loss and metric curves of one or several runs into a PNG",
        description="Read RUN_DIR/metrics.jsonl of each run and draw one subplot per metric family (the "
        "online and validation versions of a loss share one), with the update number as x axis and several "
        "runs overlaid. By default every loss and every other metric with a direction (accuracy, error, ...) "
        "is drawn; counters, timings, learning rates and other neutral keys are left out.",
        epilog="example: noether plot outputs/2026-01-01_abcde outputs/2026-01-02_fghij --out compare.png "
        "--metrics 'loss/*' 'rel_l2*'",
    )
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR",
                   help="run directory holding metrics.jsonl, or a sweep directory (all its points)")
    p.add_argument("--out", "-o", default="plot.png", help="PNG file to write (default: plot.png)")
    p.add_argument(
        "--metrics", "-m", nargs="+", action="extend", metavar="PATTERN",
        help="draw only metric keys matching these glob patterns (case-insensitive), e.g. 'loss/*'; "
        "give it after the run directories",
    )
    p.add_argument("--x", choices=COUNTERS, default="update", help="counter on the x axis (default: update)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Read the runs, draw, write the PNG; exit status 2 with a one-line reason on a user error."""
    try:
        runs = [read_run(path, x_key=args.x) for path in _expand_sweeps(args.run_dirs)]
        out = Path(args.out)
        families = plot_runs(runs, out, patterns=args.metrics, x_key=args.x)
    except PlotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {out} ({len(families)} plot{'s' if len(families) != 1 else ''}: {', '.join(families)})")
    return 0


def _expand_sweeps(paths: list[str]) -> list[Path]:
    """Run directories; a sweep directory (``noether sweep``, with its ``sweep.json``) stands for its points."""
    from noether.sweep.index import INDEX, SweepIndex, SweepIndexError

    out: list[Path] = []
    for path in map(Path, paths):
        try:
            out.extend(SweepIndex.load(path).run_dirs() if (path / INDEX).is_file() else [path])
        except SweepIndexError as exc:
            raise PlotError(str(exc)) from None
    return out


# -- reading -------------------------------------------------------------------------------------------------
def _run_identity(run_dir: Path) -> tuple[str, frozenset[str]]:
    """The label of a run (``run_id[/stage]``) and its dataset keys, from ``hp_resolved.yaml`` if readable."""
    label = run_dir.name
    datasets: frozenset[str] = frozenset()
    hp_path = RunLayout(run_dir).hp_resolved
    if hp_path.is_file():
        try:
            from ruamel.yaml import YAML

            hp = YAML(typ="safe").load(hp_path.read_text(encoding="utf-8"))
        except Exception:  # an unreadable config only costs the nicer label, not the plot
            hp = None
        if isinstance(hp, dict):
            if hp.get("run_id"):
                label = str(hp["run_id"]) + (f"/{hp['stage_name']}" if hp.get("stage_name") else "")
            if isinstance(hp.get("datasets"), dict):
                datasets = frozenset(str(key).lower() for key in hp["datasets"])
    return label, datasets


def _nearby_runs(directory: Path) -> list[str]:
    """Directories below ``directory`` (two levels: run and stage) that do hold a metrics file."""
    if not directory.is_dir():
        return []
    found = sorted({str(p.parent) for pattern in ("*/metrics.jsonl", "*/*/metrics.jsonl")
                    for p in directory.glob(pattern)})
    return found


def read_run(run_dir: Path, *, x_key: str = "update") -> RunCurves:
    """Read ``run_dir/metrics.jsonl`` into numeric series over ``x_key``.

    Lines that are not JSON objects (a run killed while writing) are skipped with a warning; values that are
    not numbers (strings, ``null``) are ignored.
    """
    if not run_dir.exists():
        raise PlotError(f"{run_dir}: no such directory")
    metrics_path = RunLayout(run_dir).metrics
    if not metrics_path.is_file():
        hint = ""
        nearby = _nearby_runs(run_dir)
        if nearby:
            shown = ", ".join(nearby[:5]) + (", ..." if len(nearby) > 5 else "")
            hint = f"; run directories below it: {shown}"
        raise PlotError(f"{run_dir} has no metrics.jsonl, so it is not a run directory{hint}")
    label, datasets = _run_identity(run_dir)
    curves = RunCurves(run_dir, label, SPLIT_SEGMENTS | datasets)
    with metrics_path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                print(f"warning: {metrics_path}:{number}: not a JSON line, skipped", file=sys.stderr)
                continue
            if not isinstance(entry, dict) or not _is_number(entry.get(x_key)):
                continue
            x = float(entry[x_key])
            for key, value in entry.items():
                if key in COUNTERS or not _is_number(value):
                    continue
                xs, ys = curves.series.setdefault(key, ([], []))
                xs.append(x)
                # Infinities would wreck the autoscaled axis; drawn as gaps like NaN.
                ys.append(float(value) if math.isfinite(value) else math.nan)
    return curves


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- choosing and grouping -----------------------------------------------------------------------------------
def select_keys(keys: set[str], patterns: list[str] | None) -> list[str]:
    """The keys to draw: those matching ``patterns``, or by default every non-neutral metric (losses too)."""
    if patterns:
        lowered = [p.lower() for p in patterns]
        return sorted(k for k in keys if any(fnmatch.fnmatchcase(k.lower(), p) for p in lowered))
    from noether.core.writers.metric_direction import metric_direction

    return sorted(k for k in keys if metric_direction(k) != "neutral")


def metric_family(key: str, splits: frozenset[str]) -> str:
    """The subplot of ``key``: its segments without split names and interval suffixes.

    ``loss/online/total/U1`` and ``loss/val/total`` both belong to ``loss/total``; ``rel_l2/y/val`` to
    ``rel_l2/y``.
    """
    parts = key.split("/")
    kept = [part for part in parts if part.lower() not in splits and not _INTERVAL.match(part)]
    return "/".join(kept) if kept else key


def _family_order(family: str) -> tuple[int, str]:
    # Losses first: they are what a person looks at first.
    return (0 if family.split("/")[0].lower().startswith("loss") else 1, family)


# -- drawing -------------------------------------------------------------------------------------------------
def plot_runs(runs: list[RunCurves], out: Path, *, patterns: list[str] | None = None,
              x_key: str = "update") -> list[str]:
    """Draw ``runs`` into the PNG ``out``; returns the families drawn (one subplot each)."""
    available = {key for r in runs for key in r.series}
    if not available:
        raise PlotError("no numeric metrics logged yet in " + ", ".join(str(r.path) for r in runs))
    chosen = set(select_keys(available, patterns))
    if not chosen:
        sample = ", ".join(sorted(available)[:12]) + (", ..." if len(available) > 12 else "")
        what = f"match {' '.join(patterns)}" if patterns else "is a loss or a metric with a direction"
        raise PlotError(f"no logged metric {what}; logged keys: {sample}")

    # family -> keys, across runs (each run may name its datasets differently).
    families: dict[str, set[str]] = {}
    for r in runs:
        for key in r.series:
            if key in chosen:
                families.setdefault(metric_family(key, r.splits), set()).add(key)
    order = sorted(families, key=_family_order)
    if len(order) > MAX_SUBPLOTS:
        print(f"warning: {len(order)} metric families, drawing the first {MAX_SUBPLOTS}; choose with "
              f"--metrics (left out: {', '.join(order[MAX_SUBPLOTS:])})", file=sys.stderr)
        order = order[:MAX_SUBPLOTS]

    labels = _unique_labels(runs)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ncols = 1 if len(order) == 1 else 2 if len(order) <= 4 else 3
    nrows = math.ceil(len(order) / ncols)
    fig = Figure(figsize=(6.4 * ncols, 4.0 * nrows), layout="constrained")
    FigureCanvasAgg(fig)  # Agg attached explicitly: no GUI backend is ever chosen
    from matplotlib import colormaps

    tab10 = colormaps["tab10"]
    colors = [tab10(i) for i in range(tab10.N)]
    several = len(runs) > 1
    for index, family in enumerate(order):
        ax = fig.add_subplot(nrows, ncols, index + 1)
        keys = sorted(families[family])
        positive = True
        span: list[float] = []
        for run_index, (curves, label) in enumerate(zip(runs, labels, strict=True)):
            for key_index, key in enumerate(keys):
                if key not in curves.series:
                    continue
                xs, ys = curves.series[key]
                # Several runs: a colour per run, a line style per key; one run: a colour per key.
                color = colors[(run_index if several else key_index) % len(colors)]
                style = _LINESTYLES[key_index % len(_LINESTYLES)] if several else "-"
                ax.plot(xs, ys, linestyle=style, color=color, marker="o" if len(xs) <= 30 else None,
                        markersize=3, linewidth=1.3, label=f"{label}: {key}" if several else key)
                finite = [y for y in ys if not math.isnan(y)]
                span += finite
                positive = positive and all(y > 0 for y in finite)
        # Losses fall over orders of magnitude; a log axis keeps the late phase of training visible.
        if span and positive and max(span) / min(span) >= 100:
            ax.set_yscale("log")
        ax.set_title(family)
        ax.set_xlabel(x_key)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    title = ", ".join(labels)
    fig.suptitle(title if len(title) <= 120 else title[:117] + "...")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.savefig(out, format="png", dpi=100)
    except OSError as exc:
        raise PlotError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return order


def _unique_labels(runs: list[RunCurves]) -> list[str]:
    """Run labels, disambiguated by their directory when two runs share one."""
    labels = [r.label for r in runs]
    for index, label in enumerate(labels):
        if labels.count(label) > 1:
            labels[index] = f"{label} ({runs[index].path})"
    return labels

