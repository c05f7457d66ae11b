"""``noether compare SWEEP_DIR [--metric KEY ...]``: a table of metrics per sweep point, best first. No torch."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register the ``compare`` subcommand."""
    p = subparsers.add_parser(
        "compare",
        help="print a table of metrics per point of a sweep, best first",
        description="Read SWEEP_DIR/sweep.json and each point's summary.json; print one line per point with "
        "its overrides and the chosen metrics (default: every metric with a direction), sorted by the first "
        "metric, best first. A metric without /min, /max or /last uses its last value.",
        epilog="example: noether compare outputs/sweeps/airfoil-1a2b3c4d --metric loss/test/total; draw the "
        "curves with: noether plot outputs/sweeps/airfoil-1a2b3c4d",
    )
    p.add_argument("sweep_dir", type=Path, help="the sweep directory (it holds sweep.json)")
    p.add_argument("--metric", action="append", default=[], metavar="KEY",
                   help="a metric to show (repeatable; the first one orders the table)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the table; exit status 2 when SWEEP_DIR is no sweep directory."""
    from noether.sweep.compare import build_table, render_table
    from noether.sweep.index import SweepIndexError

    try:
        metrics, rows = build_table(args.sweep_dir, args.metric)
    except SweepIndexError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render_table(metrics, rows))
    if not metrics:
        print("no metrics yet: no point has a summary.json (has any point finished?)", file=sys.stderr)
    return 0
