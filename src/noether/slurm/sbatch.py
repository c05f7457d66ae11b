"""Hand a rendered job script to ``sbatch`` (``noether submit`` and ``noether sweep --slurm``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from noether.slurm.script import JobScript


def sbatch(
    job: JobScript, script: Path, dry_run_command: str, *, prepare: Callable[[], None] | None = None
) -> str | int:
    """Write ``job`` to ``script`` and submit it: the job id, or the exit status after printing why it failed.

    ``prepare`` runs once ``sbatch`` is known to exist, before anything is written (the sweep saves its index).
    The job's log folder is created first: SLURM fails a job whose ``--output`` folder is missing before the
    script runs, leaving no log. ``dry_run_command`` is named in the hint when ``sbatch`` is not on PATH.
    """
    program = shutil.which("sbatch")
    if program is None:
        print(f"error: sbatch is not on PATH (is this a SLURM login node?); `{dry_run_command}` prints the job "
              "script", file=sys.stderr)
        return 1
    if prepare is not None:
        prepare()
    job.script_path.parent.mkdir(parents=True, exist_ok=True)
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(job.text, encoding="utf-8")
    script.chmod(0o755)
    done = subprocess.run([program, "--parsable", str(script)], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"error: sbatch failed (exit status {done.returncode}): {done.stderr.strip()}", file=sys.stderr)
        return done.returncode or 1
    # --parsable prints "<job id>" or "<job id>;<cluster>".
    return done.stdout.strip().split(";")[0]
