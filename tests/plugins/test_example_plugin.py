"""The template plugin in plugins/noether-example-plugin, installed with pip into a fresh environment."""

from __future__ import annotations

import json
import os
import subprocess
import venv
from pathlib import Path
from typing import Literal

import attrs
import pytest

from noether.core.schemas import ConstantScheduleConfig
from tests.plugins.test_mlflow_plugin import _copy_source

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_pip_installed_example_plugin_runs_and_uninstall_fails_clearly(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def sh(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(python), *args], capture_output=True, text=True, env=environ, cwd=tmp_path)

    # Built from copies, so that no build/ or egg-info is written into the checkout.
    assert sh("-m", "pip", "install", "-q", str(_copy_source(ROOT, tmp_path / "src_noether"))).returncode == 0
    plugin = _copy_source(ROOT / "plugins" / "noether-example-plugin", tmp_path / "src_plugin")
    out = sh("-m", "pip", "install", "-q", str(plugin))
    assert out.returncode == 0, out.stderr
    listing = json.loads(sh("-m", "noether", "plugins", "--json").stdout)
    example = next(p for p in listing["plugins"] if p["distribution"] == "noether-example-plugin")
    assert {k["family"] for k in example["kinds"]} == {"model", "dataset", "callback", "schedule", "normalizer",
                                                      "trainer"}
    config = ROOT / "plugins" / "noether-example-plugin" / "example.yaml"
    run = sh("-m", "noether", "run", str(config), f"output_path={tmp_path / 'out'}", "trainer.max_epochs=1")
    assert run.returncode == 0, run.stdout + run.stderr
    checked = sh("-c", "from noether.testing import check_distribution; "
                       "print(len(check_distribution('noether-example-plugin')))")
    assert checked.stdout.strip() == "6", checked.stderr
    assert sh("-m", "pip", "uninstall", "-y", "noether-example-plugin").returncode == 0
    failed = sh("-m", "noether", "check", str(config))
    assert failed.returncode == 2
    assert "noether_example_plugin.SineDataset" in failed.stderr
    assert "pip install noether-example-plugin" in failed.stderr
    assert "Traceback" not in failed.stderr


@attrs.frozen(kw_only=True)
class TmpConstConfig(ConstantScheduleConfig):
    """A constant schedule under a test kind."""

    kind: Literal["tmp.Const"] = "tmp.Const"  # type: ignore[assignment]


def test_testing_fixtures_register_for_one_test(noether_register: object, run_noether: object) -> None:
    from noether.core.registry import get_registry

    noether_register("schedule", "tmp.Const", config=TmpConstConfig,  # type: ignore[operator]
                     component="noether.core.schedules.constant:ConstantSchedule")
    from noether.testing import check_kind

    schedule = check_kind("schedule", "tmp.Const", {"kind": "tmp.Const", "value": 0.5}, build=True)
    assert schedule.get_value(3, 10) == 0.5
    assert get_registry().find("schedule", "tmp.Const") is not None
    result = run_noether("--version")  # type: ignore[operator]
    assert result.assert_ok().stdout.startswith("noether")


def test_registration_is_undone_after_the_test() -> None:
    from noether.core.registry import get_registry

    assert get_registry().find("schedule", "tmp.Const") is None
