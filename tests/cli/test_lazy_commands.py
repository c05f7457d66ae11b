"""Lazy subcommands: a built-in command imports only its own module and calls no plugin's command hook.

The listing (``noether``, ``--help``, an unknown command) is the same as with every module imported, and
plugin commands, clashes with built-in names and failing hooks behave as before. Plugins are real
distributions (``*.dist-info`` on ``PYTHONPATH``) and the CLI runs in subprocesses.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import noether.cli.commands
from noether.cli.main import BUILTIN_COMMANDS, LazySubcommands, build_parser
from tests.plugins.test_discovery import make_dist

ROOT = Path(__file__).resolve().parents[2]

#: A plugin with a command ``hello`` whose hook leaves a mark, so a test sees whether it was called.
PLUGIN = """
import os

from noether import hookimpl


@hookimpl
def noether_register_components(register):
    pass


@hookimpl
def noether_add_commands(subparsers):
    with open(os.environ["HOOK_MARK"], "a") as mark:
        mark.write("called\\n")
    p = subparsers.add_parser("hello", help="say hello from a plugin")
    p.add_argument("who")
    p.set_defaults(handler=lambda args: print(f"hello {args.who}") or 0)
"""

#: A plugin whose command is named like a built-in one.
CLASH = """
from noether import hookimpl


@hookimpl
def noether_register_components(register):
    pass


@hookimpl
def noether_add_commands(subparsers):
    subparsers.add_parser("check", help="not the real check")
"""

#: Run the CLI in-process and print which command modules it imported.
SHOW_MODULES = (
    "import sys; from noether.cli.main import main\n"
    "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as exc:\n    code = exc.code\n"
    "print('MODULES', sorted(m for m in sys.modules if m.startswith('noether.cli.commands.')), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _eager_parser() -> argparse.ArgumentParser:
    """The parser as built before commands were lazy: every command module imported, its add_parser called."""
    parser = argparse.ArgumentParser(prog="noether", description="Train PyTorch models from validated YAML configs.")
    parser.add_argument("--version", action="version", version="x")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module, _ in BUILTIN_COMMANDS.values():
        importlib.import_module(f"noether.cli.commands.{module}").add_parser(subparsers)
    return parser


def test_the_table_matches_the_command_modules() -> None:
    modules = {info.name for info in pkgutil.iter_modules(noether.cli.commands.__path__)}
    assert modules == {module for module, _ in BUILTIN_COMMANDS.values()}
    for name, (module, help_text) in BUILTIN_COMMANDS.items():
        subparsers = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"noether.cli.commands.{module}").add_parser(subparsers)
        assert list(subparsers.choices) == [name]
        assert [action.help for action in subparsers._choices_actions] == [help_text]


def test_listing_is_the_same_as_with_every_module_imported() -> None:
    lazy = build_parser(plugin_commands=False)
    eager = _eager_parser()
    assert lazy.format_help() == eager.format_help()
    assert list(_subcommands(lazy).choices) == list(_subcommands(eager).choices)


def test_a_chosen_placeholder_is_replaced_in_place() -> None:
    parser = build_parser(plugin_commands=False)
    before = parser.format_help()
    args, extra = parser.parse_known_args(["verify-resume", "cfg.yaml", "lr=1", "--updates", "9", "lr=2"])
    assert args.command == "verify-resume" and args.updates == 9
    assert args.overrides == ["lr=1"] and extra == ["lr=2"]  # main() appends overrides that follow options
    subparsers = _subcommands(parser)
    assert "verify-resume" not in subparsers.pending
    assert list(subparsers.choices) == list(BUILTIN_COMMANDS)
    assert parser.format_help() == before
    assert subparsers.choices["verify-resume"].format_help() == \
        _subcommands(_eager_parser()).choices["verify-resume"].format_help()


def _subcommands(parser: argparse.ArgumentParser) -> LazySubcommands:
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return found[0]  # type: ignore[return-value]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site"
    path.mkdir()
    return path


def _cli(site: Path, mark: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]), HOOK_MARK=str(mark))
    return subprocess.run([sys.executable, "-c", SHOW_MODULES, *args], capture_output=True, text=True, env=env)


def test_a_builtin_command_imports_its_module_only_and_calls_no_command_hook(site: Path, tmp_path: Path) -> None:
    make_dist(site, "acme-hello", "acme_hello", PLUGIN)
    mark = tmp_path / "mark"
    config = ROOT / "examples" / "airfoil.yaml"
    done = _cli(site, mark, "check", "-q", str(config))
    assert done.returncode == 0, done.stderr
    assert "MODULES ['noether.cli.commands.check']" in done.stderr
    assert not mark.exists()  # the plugin's noether_add_commands hook was not called
    done = _cli(site, mark, "--version")
    assert done.returncode == 0 and done.stdout.startswith("noether ") and "MODULES []" in done.stderr
    assert not mark.exists()

    done = _cli(site, mark, "--help")
    assert done.returncode == 0 and "MODULES []" in done.stderr
    assert "say hello from a plugin" in done.stdout and "validate a config and print it" in done.stdout
    assert mark.read_text() == "called\n"

    done = _cli(site, mark, "hello", "world")  # a plugin command: the hook runs, no built-in module is imported
    assert done.returncode == 0 and done.stdout == "hello world\n" and "MODULES []" in done.stderr

    done = _cli(site, mark, "helo")
    assert done.returncode == 2 and "invalid choice: 'helo'" in done.stderr and "'hello'" in done.stderr
    assert "'compare'" in done.stderr and "did you mean 'hello'?" in done.stderr
    done = _cli(site, mark, "rn", "cfg.yaml")
    assert done.returncode == 2 and "invalid choice: 'rn' (did you mean 'run'?" in done.stderr


def test_a_plugin_command_named_like_a_builtin_one_loses_and_is_warned_about(site: Path, tmp_path: Path) -> None:
    make_dist(site, "acme-clash", "acme_clash", CLASH)
    mark = tmp_path / "mark"
    listing = _cli(site, mark, "--help")
    assert listing.returncode == 0
    assert "warning: plugin 'acme-clash' could not add its commands" in listing.stderr
    assert "conflicting subparser: check" in listing.stderr
    assert "not the real check" not in listing.stdout
    done = _cli(site, mark, "check", "--help")  # the built-in check, and no warning: no plugin command is needed
    assert done.returncode == 0 and "Validate CFG" in done.stdout
    assert "warning" not in done.stderr


def test_a_failing_command_hook_is_warned_about_when_commands_are_listed(site: Path, tmp_path: Path) -> None:
    failing = PLUGIN.replace('    with open(os.environ["HOOK_MARK"], "a") as mark:',
                                               '    raise RuntimeError("no commands today")\n'
                                               '    with open(os.environ["HOOK_MARK"], "a") as mark:')
    make_dist(site, "acme-failing", "acme_failing", failing)
    mark = tmp_path / "mark"
    done = _cli(site, mark)
    assert done.returncode == 2 and "usage: noether" in done.stdout
    assert "warning: plugin 'acme-failing' could not add its commands: RuntimeError: no commands today" \
        in done.stderr
    done = _cli(site, mark, "check", "-q", str(ROOT / "examples" / "airfoil.yaml"))
    assert done.returncode == 0 and "warning" not in done.stderr
