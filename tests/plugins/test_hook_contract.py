"""The hook contract, checked on real installed distributions: misspelled or unmarked hooks, registered checks.

Distributions are written as ``*.dist-info`` directories on ``PYTHONPATH`` (as in ``test_discovery``) and the
CLI runs in a subprocess, so discovery goes through ``importlib.metadata`` as for a pip-installed plugin.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plugins.test_discovery import CONFIG, cli, make_dist

MISSPELLED = """
from noether import hookimpl


@hookimpl
def noether_register_component(register):
    register("schedule", "acme.Const", config="noether.core.schemas:ConstantScheduleConfig")
"""

UNMARKED = """
def noether_register_components(register):
    register("schedule", "acme.Const", config="noether.core.schemas:ConstantScheduleConfig")
"""

WITH_HELPER = """
from noether import hookimpl


def noether_helper():
    return "a helper of the plugin, no hook"


@hookimpl
def noether_register_components(register):
    register("schedule", "acme.Helped", config="noether.core.schemas:ConstantScheduleConfig")
"""

WITH_CHECK = """
from noether import hookimpl
from noether.core.errors import Issue
from noether.core.schemas import OptimizerConfig


def small_steps(config):
    if config.lr is not None and config.lr > 0.01:
        return [Issue(("lr",), f"acme.Careful takes lr <= 0.01, got {config.lr}")]
    return []


@hookimpl
def noether_register_components(register):
    register("optimizer", "acme.Careful", config=OptimizerConfig, component="torch.optim:SGD",
             check=small_steps, summary="SGD that refuses large steps")
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site"
    path.mkdir()
    return path


def broken_by_distribution(site: Path) -> dict[str, str]:
    out = cli(site, "plugins", "--json")
    assert out.returncode == 0, out.stderr
    return {b["distribution"]: b["error"] for b in json.loads(out.stdout)["broken"]}


def test_misspelled_and_unmarked_hooks_are_broken_with_the_fix(site: Path) -> None:
    make_dist(site, "acme-typo", "acme_typo", MISSPELLED)
    make_dist(site, "acme-bare", "acme_bare", UNMARKED)
    make_dist(site, "acme-helped", "acme_helped", WITH_HELPER)
    broken = broken_by_distribution(site)
    assert "acme-helped" not in broken  # a function named noether_* that is no near miss of a hook is fine
    assert "'noether_register_component' is no noether hook" in broken["acme-typo"]
    assert "did you mean 'noether_register_components'?" in broken["acme-typo"]
    assert "hooks it implements: noether_register_component;" in broken["acme-typo"]
    assert "'noether_register_components' lacks the @noether.hookimpl decorator" in broken["acme-bare"]
    text = cli(site, "plugins").stdout
    assert "acme-typo" in text and "BROKEN" in text


def test_a_plugins_registered_check_runs_in_noether_check(site: Path, tmp_path: Path) -> None:
    make_dist(site, "acme-careful", "acme_careful", WITH_CHECK)
    config = tmp_path / "cfg.yaml"
    text = CONFIG.format(out=tmp_path, kind="noether.core.schedules.ConstantSchedule")
    config.write_text(text.replace("kind: torch.optim.SGD", "kind: acme.Careful"))
    out = cli(site, "check", str(config))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "model.optimizer_config.lr" in out.stderr
    assert "acme.Careful takes lr <= 0.01, got 0.1" in out.stderr
    assert "Traceback" not in out.stderr
    config.write_text(config.read_text().replace("lr: 0.1", "lr: 0.001"))
    out = cli(site, "check", "-q", str(config))
    assert out.returncode == 0, out.stderr
