"""``noether check CFG [OVERRIDES...]``: validate a config and print it resolved, without importing torch."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register the ``check`` subcommand."""
    p = subparsers.add_parser(
        "check",
        help="validate a config and print it with every default filled in",
        description="Validate CFG (with its base files and OVERRIDES). Prints the resolved config, or every "
        "problem with its file:line and exits with status 2.",
    )
    p.add_argument("config", help="path to the YAML config")
    p.add_argument("overrides", nargs="*", help="dotted overrides, e.g. trainer.max_epochs=5")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing when the config is valid")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate and print."""
    from noether.core.config.converter import unstructure
    from noether.core.config.dump import dump_yaml
    from noether.core.config.loader import load_config

    config = load_config(args.config, args.overrides)
    if not args.quiet:
        sys.stdout.write(dump_yaml(unstructure(config)))
    return 0
