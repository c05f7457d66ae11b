"""Fixtures for job-script tests: stand-ins for sbatch, srun, scontrol and noether on PATH."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def write_tool(directory: Path, name: str, body: str) -> Path:
    """An executable bash script ``directory/name``."""
    path = directory / name
    path.write_text("#!/bin/bash\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


class FakeCluster:
    """A bin directory with fake SLURM tools that record their calls under ``log``."""

    def __init__(self, root: Path) -> None:
        self.bin = root / "fake bin"
        self.log = root / "calls"
        self.bin.mkdir()
        self.log.mkdir()
        # sbatch: record the arguments, answer like `sbatch --parsable`.
        record = f'printf "%s\\n" "$@" > {_q(self.log / "sbatch")}\n'
        write_tool(self.bin, "sbatch", record + 'echo "4242;cluster"\n')
        # srun: run the command here (a one-task step).
        write_tool(self.bin, "srun", 'exec "$@"\n')
        write_tool(self.bin, "scontrol", f'printf "%s\\n" "$@" >> {_q(self.log / "scontrol")}\n')

    def calls(self, tool: str) -> list[str]:
        """The arguments of every recorded call of ``tool`` (one per line)."""
        path = self.log / tool
        return path.read_text().splitlines() if path.exists() else []

    def env(self, *, with_scontrol: bool = True) -> dict[str, str]:
        """An environment whose PATH starts with the fake tools (and the venv, for the real noether).

        Without scontrol, PATH holds only the fake tools and the few programs the scripts need, so that a
        real SLURM installed on this machine cannot stand in.
        """
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
        if with_scontrol:
            parts = [str(self.bin), str(Path(sys.executable).parent), env.get("PATH", "")]
        else:
            (self.bin / "scontrol").unlink(missing_ok=True)
            tools = self.bin.parent / "tools"
            tools.mkdir(exist_ok=True)
            for name in ("python3", "sleep", "touch"):
                found = shutil.which(name)
                assert found is not None, name
                link = tools / name
                if not link.exists():
                    link.symlink_to(found)
            parts = [str(self.bin), str(tools)]
        env["PATH"] = os.pathsep.join(parts)
        return env


def _q(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCluster]:
    """Fake SLURM tools first on PATH (for in-process CLI calls too)."""
    fake = FakeCluster(tmp_path)
    monkeypatch.setenv("PATH", os.pathsep.join([str(fake.bin), os.environ.get("PATH", "")]))
    yield fake
