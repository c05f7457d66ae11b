"""The names inside a run directory, in one place.

Layout of ``<output_path>/[debug/]<run_id>[/<stage_name>]/``::

    hp_resolved.yaml     the resolved config of the run
    metrics.jsonl        one JSON line per logged update
    summary.json         ``<metric>/min|max|last`` plus dataset sizes and parameter counts
    log.txt              the run's log
    code.tar.gz          ``git archive`` of the code (``store_code_in_output``)
    ancestor             link to the run directory this run was resumed from (another run)
    interrupted.json     present while the run is stopped by a signal (resumable; exit status 75): launchers
                         that cannot pass a worker's exit status on (torchrun) are told by this file
    checkpoints/         checkpoint sets (see ``noether.core.writers.checkpoints``), ``latest.json`` among them
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

HP_RESOLVED = "hp_resolved.yaml"
METRICS = "metrics.jsonl"
SUMMARY = "summary.json"
LOG = "log.txt"
CODE_ARCHIVE = "code.tar.gz"
ANCESTOR = "ancestor"
CHECKPOINTS = "checkpoints"
#: Inside ``checkpoints/``: the pointer to the newest complete resumable set.
LATEST_POINTER = "latest.json"
UPDATE_OUTPUTS = "update_outputs"
#: Written by rank 0 when a signal stopped the run after a resumable checkpoint; removed when a run completes.
INTERRUPTED_MARKER = "interrupted.json"


def run_directory(output_path: Path, run_id: str, stage_name: str | None = None, debug: bool = False) -> Path:
    """``output_path/[debug/]run_id[/stage_name]``."""
    base = output_path / "debug" if debug else output_path
    path = base / run_id
    return path / stage_name if stage_name else path


def checkpoint_directory(output_path: Path, run_id: str, stage_name: str | None = None) -> Path:
    """The ``checkpoints`` directory of a run."""
    return run_directory(output_path, run_id, stage_name) / CHECKPOINTS


@attrs.frozen
class RunLayout:
    """The paths of one run directory."""

    root: Path

    @property
    def hp_resolved(self) -> Path:
        """The resolved config."""
        return self.root / HP_RESOLVED

    @property
    def metrics(self) -> Path:
        """The metrics file."""
        return self.root / METRICS

    @property
    def summary(self) -> Path:
        """The end-of-run summary."""
        return self.root / SUMMARY

    @property
    def log(self) -> Path:
        """The log file."""
        return self.root / LOG

    @property
    def code_archive(self) -> Path:
        """The archived code."""
        return self.root / CODE_ARCHIVE

    @property
    def checkpoints(self) -> Path:
        """The checkpoints directory."""
        return self.root / CHECKPOINTS

    @property
    def update_outputs(self) -> Path:
        """Where tracked additional outputs are saved."""
        return self.root / UPDATE_OUTPUTS

    @property
    def interrupted_marker(self) -> Path:
        """Present while the run is stopped by a signal (see :data:`INTERRUPTED_MARKER`)."""
        return self.root / INTERRUPTED_MARKER

    @property
    def ancestor(self) -> Path:
        """The link to the run this one was resumed from."""
        return self.root / ANCESTOR

    def link_ancestor(self, ancestor_run_dir: Path) -> None:
        """Point ``ancestor`` at ``ancestor_run_dir``, relative to the link's own directory (so it resolves
        wherever the link is read from, also after the output folder is moved as a whole)."""
        link = self.ancestor
        if link.is_symlink() or link.exists():
            return
        target = os.path.relpath(ancestor_run_dir.resolve(), self.root.resolve())
        link.symlink_to(target, target_is_directory=True)
