"""``noether cfd convert SOURCE STORE``: a folder of simulations into a chunked store (torch-free)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

LAYOUTS = ("auto", "shapenet_car", "drivaerml", "ahmedml", "generic")


def add_cfd_command(subparsers: Any) -> None:
    """Add ``noether cfd`` with its subcommand ``convert``."""
    cfd = subparsers.add_parser("cfd", help="CFD data tools (convert simulations into a chunked store)",
                                description="CFD data tools of the noether-cfd plugin.")
    commands = cfd.add_subparsers(dest="cfd_command", metavar="COMMAND", required=True)
    p = commands.add_parser(
        "convert",
        help="convert a folder of simulations into a chunked store",
        description="Convert SOURCE (ShapeNet-Car, DrivAerML, AhmedML or the generic layout: one sub-folder per "
        "simulation with surface.<ext> and optionally volume.<ext>) into the store STORE: one folder per sample, "
        "one .npy file per field, points in a random order. Samples already in STORE are skipped, so an "
        "interrupted conversion resumes; each sample is written atomically.",
    )
    p.add_argument("source", type=Path, help="the folder of simulations")
    p.add_argument("store", type=Path, help="the store folder (created if missing)")
    p.add_argument("--layout", choices=LAYOUTS, default="auto", help="layout of SOURCE (default: recognised)")
    p.add_argument("--seed", type=int, default=0, help="seed of the point order (default 0)")
    p.add_argument("--surface-only", action="store_true", help="leave the volume out (its files are not read)")
    p.add_argument("--skip-errors", action="store_true", help="report and skip simulations that cannot be read")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_convert)


def run_convert(args: argparse.Namespace) -> int:
    """Run the conversion; user errors (missing folder, unknown layout, unreadable file) are messages."""
    from noether_cfd.data.layouts import LayoutError
    from noether_cfd.data.mesh import MeshError
    from noether_cfd.data.store import StoreError, convert_folder

    try:
        report = convert_folder(args.source, args.store, layout=args.layout, seed=args.seed,
                                skip_errors=args.skip_errors, progress=False if args.no_progress else None,
                                point_sets=("surface",) if args.surface_only else ("surface", "volume"))
    except (StoreError, LayoutError, MeshError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{report.store}: {len(report.written)} written, {len(report.skipped)} already there, "
          f"{len(report.failed)} failed")
    for sample_id, reason in report.failed:
        print(f"  skipped {sample_id}: {reason}", file=sys.stderr)
    return 1 if report.failed else 0
