"""``noether verify-batches CFG``: check that a dataset's batched loading gives its per-sample batches."""

from __future__ import annotations

import argparse
import sys
from typing import Any

#: Exit status for a user error on the command line.
EXIT_USAGE = 2


def add_parser(subparsers: Any) -> None:
    """Register the ``verify-batches`` subcommand."""
    p = subparsers.add_parser(
        "verify-batches",
        help="load a dataset's first batches as training does and sample by sample; compare them",
        description="Loads the first N batches of a dataset of CFG as the run loads them (batch loaders, "
        "wrappers, the pipeline's batched steps, a dataset's own gather of finished batches) and again one "
        "sample at a time (dataset[i], then the pipeline), and compares keys, dtypes, shapes and values: first "
        "the samples the dataset returns (a difference names the sample and property), then the finished "
        "batches; it also prints each path's milliseconds per batch. The training dataset is read in the run's "
        "order. Exit status 0 when identical, 1 with the differences otherwise.",
    )
    p.add_argument("config", help="path to the YAML config")
    p.add_argument("overrides", nargs="*", help="dotted overrides")
    p.add_argument("--dataset", default=None, help="key under 'datasets' (default: the training dataset)")
    p.add_argument("--batches", type=int, default=8, help="batches to compare (default 8)")
    p.add_argument("--start-update", type=int, default=0,
                   help="training dataset: begin at this update of the run's order (default 0)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="other datasets: samples per batch (default: the training micro-batch size)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Compare and report."""
    for name, value, least in (("--batches", args.batches, 1), ("--start-update", args.start_update, 0),
                               ("--batch-size", args.batch_size, 1)):
        if value is not None and value < least:
            print(f"noether verify-batches: {name} must be at least {least}, got {value}", file=sys.stderr)
            return EXIT_USAGE
    from noether.core.config.loader import load_config

    config = load_config(args.config, args.overrides)
    if args.dataset is not None and args.dataset not in config.datasets:
        print(f"noether verify-batches: no dataset '{args.dataset}' in {args.config}; datasets: "
              f"{', '.join(config.datasets)}", file=sys.stderr)
        return EXIT_USAGE
    from noether.cli.collector import imports_paused

    with imports_paused(args):
        from noether.training.verify_batches import verify_batches

    report = verify_batches(config, dataset_key=args.dataset, batches=args.batches,
                            start_update=args.start_update, batch_size=args.batch_size)
    print(report.text())
    return 0 if report.identical else 1
