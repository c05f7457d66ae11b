"""``noether schema``: the JSON Schema of a config file, including every registered kind."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register the ``schema`` subcommand."""
    p = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of config files (for editor completion and validation)",
        description="Print a JSON Schema of the full config, reflecting installed plugins. Save it and add "
        "'# yaml-language-server: $schema=noether.schema.json' to a config for completion in editors.",
    )
    p.add_argument("--out", help="write to this file instead of stdout")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print or write the schema."""
    from noether.core.config.json_schema import config_json_schema

    text = json.dumps(config_json_schema(), indent=2)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    return 0
