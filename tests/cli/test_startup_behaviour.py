"""What the CLI does for a short start-up, and that it changes nothing else.

``check`` runs with the cyclic collector paused, hands what it allocated to the oldest generation and turns
the collector back on; the commands that import torch import it with the collector paused and freeze what the
imports made; a torch-free process freezes the collector's generations at exit, one that imported torch does
not; a config without ``${`` never imports the interpolation resolver.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from noether.cli.main import EXIT_USAGE, main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "airfoil.yaml")


def test_check_turns_the_collector_back_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert gc.isenabled()
    assert main(["check", "-q", EXAMPLE]) == 0
    assert gc.isenabled()
    assert main(["check", "-q", EXAMPLE, "trainer.max_epochs=-1"]) == EXIT_USAGE  # a config error
    assert gc.isenabled()
    assert "must be >= 0" in capsys.readouterr().err


def test_check_hands_its_objects_to_the_oldest_generation_and_leaves_a_freeze_alone() -> None:
    assert main(["check", "-q", EXAMPLE]) == 0
    assert gc.get_freeze_count() == 0  # moved to the oldest generation, not left frozen
    assert gc.get_count()[0] < gc.get_threshold()[0]  # no pass over the whole command pending
    gc.freeze()  # the caller's own freeze is neither undone nor extended
    try:
        frozen = gc.get_freeze_count()
        assert main(["check", "-q", EXAMPLE]) == 0
        assert gc.get_freeze_count() <= frozen and gc.isenabled()  # (frozen objects may still be freed)
    finally:
        gc.unfreeze()


def test_check_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        assert main(["check", "-q", EXAMPLE]) == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


def run_probe(code: str, cli_env: dict[str, str]) -> str:
    """The stdout of ``code`` run in a fresh interpreter at the repository root."""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=cli_env, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_exit_freezes_the_collector_only_without_torch(cli_env: dict[str, str]) -> None:
    probe = "import gc, noether.cli\n{}noether.cli._exit_without_collecting()\nprint(gc.get_freeze_count() > 0)\n"
    assert run_probe(probe.format(""), cli_env) == "True"
    assert run_probe(probe.format("import torch\n"), cli_env) == "False"


def test_a_check_exits_as_before(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = {**cli_env, "NOETHER_CACHE_DIR": str(tmp_path)}
    for _ in range(2):  # the first run writes the generated-code cache at exit, the second reads it
        out = subprocess.run([sys.executable, "-m", "noether", "check", EXAMPLE], cwd=ROOT, env=env,
                             capture_output=True, text=True)
        assert out.returncode == 0 and out.stderr == "" and "airfoil-quick" in out.stdout
    assert list(tmp_path.glob("generated-code-*.marshal"))


def test_a_config_without_references_does_not_import_the_resolver(cli_env: dict[str, str], tmp_path: Path) -> None:
    probe = (
        "import sys\nfrom noether.core.config.compose import load_document\n"
        "doc = load_document(sys.argv[1])\nprint('noether.core.config.interpolation' in sys.modules, doc.data)\n"
    )
    plain = tmp_path / "plain.yaml"
    plain.write_text("a: 1\nb: [x, '$ alone']\n")
    referencing = tmp_path / "ref.yaml"
    referencing.write_text("a: 1\nb: ${a}\nc: \\${a}\n")
    outputs = []
    for path in (plain, referencing):
        out = subprocess.run([sys.executable, "-c", probe, str(path)], cwd=ROOT, env=cli_env, capture_output=True,
                             text=True, check=True)
        outputs.append(out.stdout.strip())
    assert outputs == ["False {'a': 1, 'b': ['x', '$ alone']}", "True {'a': 1, 'b': 1, 'c': '${a}'}"]


def test_a_paused_block_of_imports_is_frozen_and_a_caller_paused_collector_left_alone(
    cli_env: dict[str, str],
) -> None:
    probe = (
        "import gc\nfrom noether.cli.collector import collector_paused\n"
        "with collector_paused(freeze=True):\n    inside = gc.isenabled()\n    import email.mime.text, json\n"
        "print(inside, gc.isenabled(), gc.get_freeze_count() > 1000)\n"
        "gc.unfreeze(); gc.disable()\n"
        "with collector_paused(freeze=True):\n    import http.client\n"
        "print(gc.isenabled(), gc.get_freeze_count())\n"
    )
    assert run_probe(probe, cli_env).splitlines() == ["False True True", "False 0"]


def test_run_freezes_its_imports_and_trains_with_the_collector_on(cli_env: dict[str, str], tmp_path: Path) -> None:
    # As the program (no argv given: sys.argv is read), it freezes; called with arguments, it does not.
    probe = (
        "import gc, sys\nfrom noether.cli.main import main\n"
        "args = ['run', sys.argv[1], 'trainer.max_epochs=1', 'output_path=' + sys.argv[2]]\n"
        "print(main(args), gc.isenabled(), gc.get_freeze_count())\n"
        "sys.argv = ['noether', *args]\n"
        "print(main(), gc.isenabled(), gc.get_freeze_count() > 100_000)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, EXAMPLE, str(tmp_path)], cwd=ROOT, env=cli_env,
                         capture_output=True, text=True, check=True)
    statuses = [line for line in out.stdout.splitlines() if line.startswith("0 True")]
    assert statuses == ["0 True 0", "0 True True"]
    assert list(tmp_path.glob("*/checkpoints/*latest*"))  # it trained and saved as before
