"""Entry point of the ``noether`` command (also ``python -m noether``)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from noether import __version__

#: Subcommand modules under ``noether.cli.commands``, in the order ``--help`` lists them.
COMMANDS = ("run", "check", "schema", "explain", "plugins", "schedule", "stats", "plot", "verify_resume", "submit",
            "sweep", "compare")

#: Exit status for a user error in a config or on the command line.
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="noether",
        description="Train PyTorch models from validated YAML configs.",
    )
    parser.add_argument("--version", action="version", version=f"noether {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module_name = f"noether.cli.commands.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        module.add_parser(subparsers)
    _add_plugin_commands(subparsers)
    return parser


def _add_plugin_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Subcommands of installed plugins (the ``noether_add_commands`` hook); a failing plugin is reported."""
    from noether.core.registry import get_registry

    for broken in get_registry().add_commands(subparsers):
        print(f"warning: plugin '{broken.name}' could not add its commands: {broken.error}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    # Like `python -m`, let configs name classes of the project in the current directory by class path.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # Overrides may also follow options (``noether verify-resume cfg.yaml --updates 9 lr=1``).
    if extra:
        if hasattr(args, "overrides") and not any(e.startswith("-") and "=" not in e for e in extra):
            args.overrides = [*args.overrides, *extra]
        else:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    from noether.cli.reporting import run_reporting_errors

    return run_reporting_errors(args.handler, args)


if __name__ == "__main__":
    sys.exit(main())
