"""Running the points of a sweep on this machine, one after another, each as its own ``noether run`` process.

A point that fails does not stop the others; a point whose ``done`` marker exists is skipped; a point that was
stopped after a checkpoint (``checkpoints/latest.json`` in its run directory) resumes from it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from noether.core.exit_codes import EXIT_INTERRUPTED
from noether.sweep.index import LOGS, PointRecord, SweepIndex


def point_command(config: str, common: Sequence[str], point: PointRecord, run_dir: Path,
                  python: str = sys.executable) -> list[str]:
    """The ``noether run`` command line of one point (resuming when its run directory has a checkpoint)."""
    words = [python, "-m", "noether", "run", config, *common, *point.overrides, f"run_id={point.run_id}"]
    if (run_dir / "checkpoints" / "latest.json").exists():
        words += [f"resume_run_id={point.run_id}", "resume_checkpoint=latest"]
    return words


def run_points(index: SweepIndex, common: Sequence[str], run_dir_of: Callable[[PointRecord], Path],
               say: Callable[[str], None]) -> int:
    """Run every unfinished point; returns the number of points that did not finish."""
    logs = index.directory / LOGS
    logs.mkdir(parents=True, exist_ok=True)
    total = len(index.points)
    unfinished = 0
    for number, point in enumerate(index.points, 1):
        label = f"[{number}/{total}] {point.run_id} {' '.join(point.overrides)}"
        if index.is_done(point):
            point.status = "done"
            say(f"{label}: finished before, skipped")
            continue
        command = point_command(index.config, common, point, run_dir_of(point))
        point.status = "running"
        index.save()
        start = time.monotonic()
        log_path = logs / f"{point.run_id}.log"
        try:
            with open(log_path, "ab") as log:
                status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False).returncode
        except KeyboardInterrupt:
            point.status = "interrupted"
            index.save()
            raise
        point.exit_status = status
        point.seconds = round(time.monotonic() - start, 3)
        if status == 0:
            point.status = "done"
            index.mark_done(point)
            say(f"{label}: done in {point.seconds:.1f} s")
        else:
            unfinished += 1
            point.status = "interrupted" if status == EXIT_INTERRUPTED else "failed"
            say(f"{label}: {point.status} (exit status {status}); see {log_path}")
        index.save()
    return unfinished
