"""Entry point of the ``noether`` command (also ``python -m noether``).

Start-up is kept to what the command given needs. The built-in subcommands are listed from
:data:`BUILTIN_COMMANDS` and a command's module is imported only when that command runs (or its own ``--help``
is asked for). Plugins add their commands through the ``noether_add_commands`` hook, which is called only when
every command must be known: ``noether``, ``noether --help``, an unknown command, or a command that is not a
built-in one (a plugin's, such as ``noether predict``). A plugin command cannot replace a built-in one: its
``add_parser`` fails as "conflicting subparser", and the plugin is warned about whenever plugin commands are
added.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from noether import __version__

#: The built-in subcommands in the order ``--help`` lists them: name -> (module under ``noether.cli.commands``,
#: the one-line help its ``add_parser`` gives). The help is repeated here so that listing the commands imports
#: none of them; ``tests/cli/test_lazy_commands.py`` keeps it equal to each module's.
BUILTIN_COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run", "train from a config"),
    "check": ("check", "validate a config and print it with every default filled in"),
    "schema": ("schema", "print the JSON Schema of config files (for editor completion and validation)"),
    "explain": ("explain", "show the fields, defaults, rules and an example of a kind or schema class"),
    "plugins": ("plugins", "list plugins, their versions and kinds, and broken plugins"),
    "schedule": ("schedule", "show the learning-rate and weight-decay curves a config produces"),
    "stats": ("stats", "compute per-property statistics of a dataset (mean, std, min, max, count)"),
    "plot": ("plot", "draw the loss and metric curves of one or several runs into a PNG"),
    "verify-resume": ("verify_resume",
                      "train N updates straight and again interrupted at K and resumed; compare bit for bit"),
    "verify-batches": ("verify_batches",
                       "load a dataset's first batches as training does and sample by sample; compare them"),
    "submit": ("submit", "submit a config as a SLURM job (sbatch)"),
    "sweep": ("sweep", "run a config for every point of a grid or a random search"),
    "compare": ("compare", "print a table of metrics per point of a sweep, best first"),
}

#: Exit status for a user error in a config or on the command line.
EXIT_USAGE = 2

#: Commands that run with the cyclic garbage collector paused: short, torch-free work whose objects nearly all
#: live until the command ends (schema classes, generated functions, the config), so the collector's passes
#: over them (18 in one check of the airfoil example, about 4 ms) find next to nothing to free. Afterwards the
#: objects join the oldest generation, where a later full collection examines them as usual.
COLLECTOR_PAUSED = frozenset({"check"})


def terminal_columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` reads it (``COLUMNS``, then the terminal, else 80)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help formatter, reading the terminal width without importing ``shutil``.

    argparse builds a formatter for every argument it adds (to check the argument's format), and its default
    width comes from ``shutil``, whose import (with ``bz2`` and ``lzma``) is 3 ms of every command's start-up.
    """

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, terminal_columns() - 2 if width is None else width)


class ArgumentParser(argparse.ArgumentParser):
    """The parser of ``noether`` and of each of its subcommands: :class:`HelpFormatter` unless told otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """argparse's check of a choice, with the closest choice named (Python 3.14's ``suggest_on_error``)."""
        choices = action.choices
        if choices is None or not isinstance(value, str) or value in choices:
            super()._check_value(action, value)
            return
        from noether.core.errors import with_guesses

        names = [str(c) for c in choices]
        listed = ", ".join(repr(n) for n in names)
        raise argparse.ArgumentError(action, f"invalid choice: {with_guesses([value], names)}; choose from {listed}")


class LazySubcommands(argparse._SubParsersAction):
    """Subparsers whose built-in commands start as placeholders and are imported when chosen.

    A placeholder holds the command's name and help, so listings, "invalid choice" errors and name clashes
    with plugin commands are as if the module had been imported; when argparse selects it, the module's
    ``add_parser`` replaces it in place (same position in the listing and in the choices).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Placeholder name -> module not imported yet.
        self.pending: dict[str, str] = {}
        # What every placeholder maps to until it is loaded: one parser for all, as a parser per command
        # costs start-up about 0.15 ms each for nothing.
        self._placeholder = ArgumentParser(add_help=False)

    def add_placeholder(self, name: str, module_name: str, help_text: str) -> None:
        """List ``name`` with ``help_text``; ``module_name``'s ``add_parser(subparsers)`` adds the real parser.

        Does what ``add_parser(name, help=help_text)`` does for listings and name clashes (a choice, its help
        line) without building a parser.
        """
        if name in self._name_parser_map:
            raise argparse.ArgumentError(self, f"conflicting subparser: {name}")
        self._choices_actions.append(self._ChoicesPseudoAction(name, (), help_text))
        self._name_parser_map[name] = self._placeholder
        self.pending[name] = module_name

    def load(self, name: str) -> None:
        """Replace the placeholder ``name`` by the parser its module adds."""
        module_name = self.pending.pop(name)
        module = importlib.import_module(module_name)
        parsers = self._name_parser_map
        order = list(parsers)
        actions = list(self._choices_actions)
        placeholder = next(a for a in actions if a.dest == name)
        del parsers[name]
        self._choices_actions.remove(placeholder)
        module.add_parser(self)
        added = [a for a in self._choices_actions if a not in actions]
        # Put the real parser where the placeholder was: the dict is argparse's `choices`, keep the object.
        rebuilt = {key: parsers[key] for key in order if key in parsers}
        rebuilt.update(parsers)
        parsers.clear()
        parsers.update(rebuilt)
        index = actions.index(placeholder)
        self._choices_actions[:] = [*actions[:index], *added, *actions[index + 1:]]

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        """Import the chosen command first if it is still a placeholder, then parse its arguments."""
        name = values[0]
        if name in self.pending:
            self.load(name)
        super().__call__(parser, namespace, values, option_string)


def build_parser(*, plugin_commands: bool = True) -> argparse.ArgumentParser:
    """The argument parser with every built-in subcommand and, if ``plugin_commands``, the plugins' ones.

    Built-in commands are placeholders until chosen (see :class:`LazySubcommands`).
    """
    parser = ArgumentParser(
        prog="noether",
        description="Train PyTorch models from validated YAML configs.",
    )
    parser.add_argument("--version", action="version", version=f"noether {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", action=LazySubcommands,
                                       parser_class=ArgumentParser)
    assert isinstance(subparsers, LazySubcommands)
    for name, (module, help_text) in BUILTIN_COMMANDS.items():
        subparsers.add_placeholder(name, f"noether.cli.commands.{module}", help_text)
    if plugin_commands:
        _add_plugin_commands(subparsers)
    return parser


def _add_plugin_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Subcommands of installed plugins (the ``noether_add_commands`` hook); a failing plugin is reported."""
    from noether.core.registry import get_registry

    for broken in get_registry().add_commands(subparsers):
        print(f"warning: plugin '{broken.name}' could not add its commands: {broken.error}", file=sys.stderr)


def _needs_plugin_commands(argv: Sequence[str]) -> bool:
    """Whether parsing ``argv`` may need the plugins' commands (and so the plugins loaded).

    Not when a built-in command comes first (plugins are then loaded only if the command itself resolves kinds:
    ``check`` does, ``plot`` does not), nor for a leading ``--version`` (or a prefix of it, as argparse
    accepts), which argparse answers before it looks at anything else.
    """
    if not argv:
        return True
    first = argv[0]
    return first not in BUILTIN_COMMANDS and not (len(first) >= 3 and "--version".startswith(first))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    # Like `python -m`, let configs name classes of the project in the current directory by class path.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    args_in = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(plugin_commands=_needs_plugin_commands(args_in))
    args, extra = parser.parse_known_args(args_in)
    # Called as the program (the console script, ``python -m noether``) rather than by a caller's code with
    # its own arguments: the process is the command's, and its imports may be frozen (noether.cli.collector).
    args.own_process = argv is None
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

    if args.command not in COLLECTOR_PAUSED:
        return run_reporting_errors(args.handler, args)
    from noether.cli.collector import collector_paused

    with collector_paused():
        return run_reporting_errors(args.handler, args)


if __name__ == "__main__":
    sys.exit(main())
