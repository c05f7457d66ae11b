"""The plugin's CLI subcommands, added to ``noether`` through the ``noether_add_commands`` hook (torch-free)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_commands(subparsers: Any) -> None:
    """Add ``noether predict`` and ``noether cfd convert``."""
    p = subparsers.add_parser(
        "predict",
        help="predict fields and force coefficients on new geometries with a trained CFD run",
        description="Load the model, config and normalization statistics of RUN_DIR, predict the fields on "
        "each GEOMETRY (STL, VTP or legacy VTK surface) in chunks, and write <name>.vtp with the fields on the "
        "mesh points plus coefficients.json and coefficients.csv (one row per geometry) into --out. Every "
        "input is checked before anything is written; on an error no output file is left behind.",
    )
    p.add_argument("run_dir", type=Path, help="run directory of a run trained with noether_cfd.CfdTrainer")
    p.add_argument("geometry", nargs="+", type=Path, help="surface meshes (.stl, .vtp, .vtk)")
    p.add_argument("--out", "-o", type=Path, required=True, help="output folder (created if missing)")
    p.add_argument("--checkpoint", default="latest", help="checkpoint tag: latest (default), E3, U120, a full tag")
    p.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                   help="conditions=v1,v2,... (the model's per-sample inputs); reference.area=, reference.length=, "
                   "reference.velocity=, reference.density=, reference.moment_center=x,y,z (coefficients)")
    p.add_argument("--volume", type=Path, help="a volume mesh (.vtu/.vtk) whose points give the volume context "
                   "(default: points drawn in a box around the geometry)")
    p.add_argument("--chunk-size", type=int, default=16384, help="query points per forward pass (default 16384)")
    p.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    p.set_defaults(handler=run_predict)
    from noether_cfd.data.convert_cli import add_cfd_command  # `noether cfd convert` (the data package's)

    add_cfd_command(subparsers)


def run_predict(args: argparse.Namespace) -> int:
    """Run ``noether predict`` (imports torch only now)."""
    from noether_cfd.predict.command import main

    return main(args)
