"""``noether run CFG [OVERRIDES...]``: validate the config, then train."""

from __future__ import annotations

import argparse
import os
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register the ``run`` subcommand."""
    p = subparsers.add_parser(
        "run",
        help="train from a config",
        description="Validate CFG (with OVERRIDES such as trainer.max_epochs=5) and train. The run directory "
        "(output_path/run_id[/stage_name]) receives the resolved config, log, metrics and checkpoints.",
    )
    p.add_argument("config", help="path to the YAML config")
    p.add_argument("overrides", nargs="*", help="dotted overrides, e.g. trainer.max_epochs=5")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Load, validate, train; exit status 75 when a signal stopped training after a checkpoint."""
    from noether.core.config.loader import load_config

    config = load_config(args.config, args.overrides)
    from noether.training.runner import EXIT_INTERRUPTED
    from noether.training.runner import run as run_training

    result = run_training(config)
    if result.interrupted:
        return EXIT_INTERRUPTED
    if os.environ.get("RANK", "0") == "0":  # one report per job, not per process
        final = {k: v for k, v in result.last_metrics.items()
                 if isinstance(v, float) and not k.startswith(("loss/online/", "train_time/", "optim/"))}
        for key, value in sorted(final.items()):
            print(f"{key}: {value:.6g}")
        print(f"run directory: {result.run_dir}")
    return 0
