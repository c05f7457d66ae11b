"""The plugin-command hook: ``noether predict`` appears in ``--help``, and start-up still imports no torch."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run_noether(*args: str) -> subprocess.CompletedProcess[str]:
    # argparse's --help exits from inside main(): report the imported modules on the way out.
    code = ("import atexit, sys; atexit.register(lambda: print('TORCH_LOADED' if 'torch' in sys.modules else "
            "'NO_TORCH', file=sys.stderr)); from noether.cli.main import main; sys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


def test_help_lists_the_plugin_command_without_importing_torch() -> None:
    done = run_noether("--help")
    assert "predict" in done.stdout
    assert "NO_TORCH" in done.stderr


def test_the_plugin_command_has_its_own_help_without_importing_torch() -> None:
    done = run_noether("predict", "--help")
    assert done.returncode == 0
    assert "--checkpoint" in done.stdout and "--out" in done.stdout
    assert "NO_TORCH" in done.stderr


@pytest.mark.parametrize("example", ["ellipsoid_abupt.yaml"])
def test_check_of_a_cfd_config_imports_no_torch(example: str) -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "cfd" / example
    done = run_noether("check", str(path))
    assert done.returncode == 0, done.stderr
    assert "NO_TORCH" in done.stderr


def test_a_failing_plugin_hook_leaves_the_other_commands_working() -> None:
    import argparse

    from noether import hookimpl
    from noether.core.registry import Registry

    class Broken:
        @hookimpl
        def noether_add_commands(self, subparsers: object) -> None:
            raise RuntimeError("boom")

    registry = Registry(autoload=False)
    registry.ensure_loaded()
    registry._pm.register(Broken(), name="broken")  # a plugin registered directly, as a test double
    parser = argparse.ArgumentParser()
    failed = registry.add_commands(parser.add_subparsers())
    assert [f.name for f in failed] == ["broken"]
    assert "boom" in failed[0].error
