"""Shared test set-up."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Test configs name classes of the test package by class path (tests.engine.toy.ToyDataset).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pytest_configure(config: pytest.Config) -> None:
    """Register the project's markers."""
    config.addinivalue_line("markers", "slow: takes more than a few seconds (real installs, subprocess runs)")


@pytest.fixture
def cli_env() -> dict[str, str]:
    """Environment for CLI subprocesses: the repository on PYTHONPATH (for test kinds)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env
