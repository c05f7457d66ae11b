"""Plugin discovery through real entry points: broken plugins, clashes, controls, requirements.

Each test writes real distributions (``*.dist-info`` with ``entry_points.txt``) into a directory on
``PYTHONPATH`` and runs the CLI in a subprocess, so discovery goes through ``importlib.metadata`` as it would
for a pip-installed package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def make_dist(site: Path, name: str, module: str, body: str) -> None:
    """A minimal installed distribution ``name`` whose entry point loads ``module``."""
    (site / f"{module}.py").write_text(textwrap.dedent(body))
    info = site / f"{name.replace('-', '_')}-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text(f"[noether.plugins]\n{name} = {module}\n")


GOOD = """
from typing import Literal

import attrs

from noether import hookimpl
from noether.core.schemas import ConstantScheduleConfig


@attrs.frozen(kw_only=True)
class Config(ConstantScheduleConfig):
    \"\"\"A constant schedule under the plugin's own kind.\"\"\"

    kind: Literal["{kind}"] = "{kind}"


@hookimpl
def noether_register_components(register):
    register("schedule", "{kind}", config=Config,
             component="noether.core.schedules.constant:ConstantSchedule")
"""


def cli(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]), **env)
    return subprocess.run([sys.executable, "-m", "noether", *args], capture_output=True, text=True, env=environ)


CONFIG = """\
output_path: {out}
datasets:
  train: {{kind: noether.data.FolderDataset, root: {out}/data, split: train}}
model:
  kind: noether.core.models.MLP
  name: mlp
  input_dim: 1
  output_dim: 1
  optimizer_config:
    kind: torch.optim.SGD
    lr: 0.1
    schedule_config: {{kind: {kind}, value: 0.1}}
trainer: {{kind: SupervisedTrainer, max_epochs: 1, effective_batch_size: 4}}
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site"
    path.mkdir()
    return path


def test_broken_plugin_is_listed_and_does_not_break_other_configs(site: Path, tmp_path: Path) -> None:
    make_dist(site, "acme-broken", "acme_broken", "raise ImportError('acme needs libfoo')\n")
    make_dist(site, "acme-good", "acme_good", GOOD.format(kind="acme.Const"))
    listing = json.loads(cli(site, "plugins", "--json").stdout)
    broken = {b["distribution"]: b["error"] for b in listing["broken"]}
    assert "acme needs libfoo" in broken["acme-broken"]
    config = tmp_path / "cfg.yaml"
    config.write_text(CONFIG.format(out=tmp_path, kind="acme.Const"))
    assert cli(site, "check", "-q", str(config)).returncode == 0
    config.write_text(CONFIG.format(out=tmp_path, kind="acme.Missing"))
    out = cli(site, "check", str(config))
    assert out.returncode == 2
    assert "acme.Missing" in out.stderr and "acme-broken" in out.stderr and "libfoo" in out.stderr


def test_two_plugins_registering_one_kind(site: Path, tmp_path: Path) -> None:
    make_dist(site, "acme-one", "acme_one", GOOD.format(kind="acme.Const"))
    make_dist(site, "acme-two", "acme_two", GOOD.format(kind="acme.Const"))
    config = tmp_path / "cfg.yaml"
    config.write_text(CONFIG.format(out=tmp_path, kind="acme.Const"))
    out = cli(site, "check", str(config))
    assert out.returncode == 2
    assert "'acme-one'" in out.stderr and "'acme-two'" in out.stderr and "NOETHER_PREFER_PLUGINS" in out.stderr
    assert cli(site, "check", "-q", str(config), NOETHER_PREFER_PLUGINS="acme-two").returncode == 0
    assert cli(site, "check", "-q", str(config), NOETHER_DISABLE_PLUGINS="acme-one").returncode == 0
    text = config.read_text() + "plugins: {prefer: [acme-one]}\n"
    config.write_text(text)
    assert cli(site, "check", "-q", str(config)).returncode == 0


def test_autoload_can_be_switched_off(site: Path, tmp_path: Path) -> None:
    make_dist(site, "acme-good", "acme_good", GOOD.format(kind="acme.Const"))
    config = tmp_path / "cfg.yaml"
    config.write_text(CONFIG.format(out=tmp_path, kind="acme.Const"))
    assert cli(site, "check", "-q", str(config)).returncode == 0
    assert cli(site, "check", "-q", str(config), NOETHER_DISABLE_PLUGIN_AUTOLOAD="1").returncode == 2
    config.write_text(config.read_text() + "plugins: {autoload: false}\n")
    assert cli(site, "check", "-q", str(config)).returncode == 2


def test_required_plugin_missing_gives_the_install_line(site: Path, tmp_path: Path) -> None:
    config = tmp_path / "cfg.yaml"
    config.write_text(CONFIG.format(out=tmp_path, kind="noether.core.schedules.ConstantSchedule")
                      + "plugins: {requires: [acme-good>=0.2]}\n")
    out = cli(site, "check", str(config))
    assert out.returncode == 2 and "pip install 'acme-good>=0.2'" in out.stderr
    make_dist(site, "acme-good", "acme_good", GOOD.format(kind="acme.Const"))
    assert cli(site, "check", "-q", str(config)).returncode == 0
