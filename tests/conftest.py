"""Shared test set-up."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Test configs name classes of the test package by class path (tests.engine.toy.ToyDataset).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pytest_configure(config: pytest.Config) -> None:
    """Register the project's markers."""
    config.addinivalue_line("markers", "slow: takes more than a few seconds (real installs, subprocess runs)")
    # Here, not in tests/slurm: tests elsewhere (tests/sweep) import the real-SLURM module and its marker.
    config.addinivalue_line("markers", "slurm: needs a running SLURM cluster (sbatch on PATH)")


@pytest.fixture(autouse=True, scope="session")
def _noether_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point Noether's on-disk caches (``noether.core.cache_dir``) at a temporary directory for the session.

    Set in ``os.environ`` so that CLI subprocesses inherit it too: the suite never writes to the user's
    ``~/.cache/noether`` and never reads a cache that an installed, older Noether left there.
    """
    previous = os.environ.get("NOETHER_CACHE_DIR")
    os.environ["NOETHER_CACHE_DIR"] = str(tmp_path_factory.mktemp("noether-cache"))
    yield
    if previous is None:
        os.environ.pop("NOETHER_CACHE_DIR", None)
    else:
        os.environ["NOETHER_CACHE_DIR"] = previous


@pytest.fixture
def cli_env() -> dict[str, str]:
    """Environment for CLI subprocesses: the repository on PYTHONPATH (for test kinds)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env
