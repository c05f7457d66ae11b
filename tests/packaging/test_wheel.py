"""The wheel built from this checkout holds the product only: no docs tooling, no tests, no tools.

The build runs on a copy of the sources in a temporary directory, so it writes no ``build/`` or ``*.egg-info``
into the checkout (which may be read-only in CI).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_wheel_contains_no_docs_tooling(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"),
         str(source)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (tmp_path / "dist").glob("noether-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "noether/cli/commands/explain.py" in names and "noether/core/callbacks/kinds.py" in names
    assert not [n for n in names if n.startswith(("noether/docs/", "noether_docs/", "tools/", "tests/"))]
