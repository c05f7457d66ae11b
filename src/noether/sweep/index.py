"""The sweep directory and its index file.

Layout of a sweep directory::

    sweep.json        the index: config, fixed overrides, and per point its overrides, run id and status
    p000/ p001/ ...   one run directory per point (``output_path`` of every point is the sweep directory)
    logs/p000.log     the output of each local point run
    done/p000         marker written when a point finished (exit status 0); a rerun skips these points
    sweep.sbatch      the job-array script of ``--slurm``

The ``done`` markers are the truth about finished points (array tasks write them too, without the index).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import attrs

from noether.sweep.space import Point

INDEX = "sweep.json"
DONE = "done"
LOGS = "logs"


class SweepIndexError(ValueError):
    """The sweep directory holds a different sweep, or an unreadable index."""


@attrs.define
class PointRecord:
    """One point as the index stores it."""

    index: int
    run_id: str
    overrides: list[str]
    status: str = "pending"  # pending | running | done | failed | interrupted
    exit_status: int | None = None
    seconds: float | None = None


@attrs.define
class SweepIndex:
    """The contents of ``sweep.json``."""

    directory: Path
    config: str
    fixed: list[str]
    mode: str  # "grid" or "random"
    seed: int | None
    points: list[PointRecord]

    @classmethod
    def create(cls, directory: Path, config: str, fixed: list[str], mode: str, seed: int | None,
               points: list[Point]) -> SweepIndex:
        """A new index, or the existing one of ``directory`` if it describes the same sweep."""
        fresh = cls(directory, config, fixed, mode, seed,
                    [PointRecord(p.index, p.run_id, p.overrides) for p in points])
        path = directory / INDEX
        if not path.exists():
            return fresh
        old = cls.load(directory)
        if (old.config, old.fixed, [p.overrides for p in old.points]) != (
                config, fixed, [p.overrides for p in fresh.points]):
            raise SweepIndexError(f"{path} describes another sweep (other config, overrides or points); give "
                                  "this one its own --name or --sweep-dir")
        return old

    @classmethod
    def load(cls, directory: Path) -> SweepIndex:
        """Read ``directory/sweep.json``."""
        path = directory / INDEX
        try:
            raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            points = [PointRecord(**p) for p in raw["points"]]
            return cls(directory, raw["config"], list(raw["fixed"]), raw["mode"], raw.get("seed"), points)
        except FileNotFoundError:
            raise SweepIndexError(f"{directory} is not a sweep directory: it has no {INDEX}") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SweepIndexError(f"cannot read {path}: {exc}") from None

    def save(self) -> None:
        """Write the index atomically (a reader never sees half a file)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        data = {"config": self.config, "fixed": self.fixed, "mode": self.mode, "seed": self.seed,
                "points": [attrs.asdict(p) for p in self.points]}
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".sweep-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.write("\n")
        os.replace(tmp, self.directory / INDEX)

    def is_done(self, point: PointRecord) -> bool:
        """Whether the point finished (its ``done`` marker exists)."""
        return (self.directory / DONE / point.run_id).exists()

    def run_dirs(self) -> list[Path]:
        """The run directories of the points that have one (a stage directory below it when there is one)."""
        found = []
        for point in self.points:
            root = self.directory / point.run_id
            if (root / "metrics.jsonl").exists():
                found.append(root)
            elif root.is_dir():
                found.extend(sorted(p for p in root.iterdir() if (p / "metrics.jsonl").exists()))
        return found

    def mark_done(self, point: PointRecord) -> None:
        """Write the point's ``done`` marker."""
        (self.directory / DONE).mkdir(parents=True, exist_ok=True)
        (self.directory / DONE / point.run_id).touch()
