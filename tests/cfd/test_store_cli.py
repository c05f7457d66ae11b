"""``noether cfd convert``: the real command line on folders in the DrivAerML layout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from noether_cfd.data.store import StoreReader

from tests.cfd.cfd_files import make_caeml


def noether(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "noether", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_convert_surface_only_data(tmp_path: Path, cli_env: dict[str, str]) -> None:
    make_caeml(tmp_path / "raw", runs=3, with_volume=False)
    raw, store = str(tmp_path / "raw"), str(tmp_path / "store")
    failed = noether("cfd", "convert", raw, store, "--no-progress", env=cli_env)
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert "volume_1.vtu: no such file (for surface-only data:" in failed.stderr
    skipped = noether("cfd", "convert", raw, store, "--no-progress", "--skip-errors", env=cli_env)
    assert skipped.returncode == 1 and "0 written, 0 already there, 3 failed" in skipped.stdout
    assert "skipped 2: " in skipped.stderr
    surface = noether("cfd", "convert", raw, store, "--no-progress", "--surface-only", env=cli_env)
    assert surface.returncode == 0, surface.stderr
    assert "3 written" in surface.stdout
    assert not any(name.startswith("volume_") for name in StoreReader(store).fields)


def test_convert_resumes_and_reports(tmp_path: Path, cli_env: dict[str, str]) -> None:
    make_caeml(tmp_path / "full", runs=3)
    raw, store = str(tmp_path / "full"), str(tmp_path / "store")
    done = noether("cfd", "convert", raw, store, "--no-progress", env=cli_env)
    assert done.returncode == 0, done.stderr
    assert "3 written, 0 already there, 0 failed" in done.stdout
    again = noether("cfd", "convert", raw, store, "--no-progress", env=cli_env)
    assert "0 written, 3 already there" in again.stdout
    assert StoreReader(store).samples == ["1", "2", "3"] and "volume_velocity" in StoreReader(store).fields
    wrong = noether("cfd", "convert", raw, store, "--layout", "shapenet_car", env=cli_env)
    assert wrong.returncode == 2 and "no simulations found in the shapenet_car layout" in wrong.stderr
    missing = noether("cfd", "convert", str(tmp_path / "nope"), store, env=cli_env)
    assert missing.returncode == 2 and "nope: no such folder" in missing.stderr
