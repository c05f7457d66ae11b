"""``noether sweep CFG key=a,b other=range(1,4) [--random N] [--dry-run] [--slurm]``: one run per point.

Every point is validated before anything runs (a broken point queues nothing). Points run locally one after
another (``noether run`` per point) or as one SLURM job array. No torch import here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register the ``sweep`` subcommand."""
    p = subparsers.add_parser(
        "sweep",
        help="run a config for every point of a grid or a random search",
        description="Run CFG once per point. A word key=a,b,c (or key=choice(a,b,c), key=range(1,5)) varies "
        "key over those values; with --random N, key=uniform(lo,hi), loguniform(lo,hi) and randint(lo,hi) may "
        "be used too. Other words are fixed overrides. Each point gets its own run directory under the sweep "
        "directory (default <output_path>/sweeps/<name>), listed in its sweep.json. A rerun skips finished "
        "points; a failed point does not stop the others.",
        epilog="example: noether sweep examples/airfoil.yaml model.optimizer_config.lr=0.001,0.003 "
        "model.depth=2,3 trainer.max_epochs=20",
    )
    p.add_argument("config", help="path to the YAML config")
    p.add_argument("words", nargs="*", metavar="key=values", help="varying keys and fixed overrides")
    p.add_argument("--random", type=int, metavar="N", help="random search: draw N points instead of the grid")
    p.add_argument("--seed", type=int, default=0, help="seed of the random search (default: 0)")
    p.add_argument("--name", help="name of the sweep directory (default: config name and a hash of the sweep)")
    p.add_argument("--sweep-dir", type=Path, help="the sweep directory (default: <output_path>/sweeps/<name>)")
    p.add_argument("--dry-run", action="store_true", help="print the points (and the job script); run nothing")
    p.add_argument("--slurm", action="store_true", help="submit one SLURM job array (the config needs 'slurm:')")
    p.add_argument("--max-parallel", type=int, metavar="K", help="with --slurm: at most K array tasks at once")
    p.add_argument("--grace", type=int, default=120, metavar="SECONDS",
                   help="with --slurm: preemption signal this long before the time limit (default: 120)")
    p.set_defaults(handler=run, overrides=[])


def _sweep_error(message: str) -> Exception:
    from noether.core.errors import ConfigError, Issue

    return ConfigError([Issue((), message, "command line")], "invalid sweep")


def run(args: argparse.Namespace) -> int:
    """Validate every point, then print (``--dry-run``), submit (``--slurm``) or run them."""
    from noether.core.config.loader import load_config
    from noether.core.errors import ConfigError, Issue
    from noether.core.layout import run_directory
    from noether.sweep.index import SweepIndex, SweepIndexError
    from noether.sweep.space import SpaceError, grid, random_points, split_words

    words = [*args.words, *args.overrides]
    try:
        fixed, axes = split_words(words)
        if not axes:
            raise SpaceError("nothing varies: give at least one key=a,b or key=range(...) word")
        points = random_points(axes, args.random, args.seed) if args.random is not None else grid(axes)
    except SpaceError as exc:
        raise _sweep_error(str(exc)) from None
    config_path = str(Path(args.config).expanduser().resolve())
    base = load_config(args.config, fixed)
    digest = hashlib.sha256(json.dumps([config_path, fixed, [p.overrides for p in points]]).encode()).hexdigest()
    name = args.name or f"{Path(args.config).stem}-{digest[:8]}"
    sweep_dir = (args.sweep_dir or Path(base.output_path) / "sweeps" / name).expanduser().absolute()
    common = [*fixed, f"output_path={json.dumps(str(sweep_dir))}"]

    issues: list[Issue] = []
    configs: dict[str, Any] = {}
    for point in points:
        try:
            configs[point.run_id] = load_config(args.config, [*common, *point.overrides, f"run_id={point.run_id}"])
        except ConfigError as exc:
            label = f"point {point.run_id} ({' '.join(point.overrides)})"
            issues.extend(Issue(i.path, f"{label}: {i.message}", i.location) for i in exc.issues)
    if issues:
        raise ConfigError(issues, "invalid sweep point")

    try:
        index = SweepIndex.create(sweep_dir, config_path, common, "random" if args.random else "grid",
                                  args.seed if args.random else None, points)
    except SweepIndexError as exc:
        raise _sweep_error(str(exc)) from None

    def run_dir_of(record: Any) -> Path:
        cfg = configs[record.run_id]
        return run_directory(Path(cfg.output_path), record.run_id, cfg.stage_name, cfg.debug)

    pending = [p for p in index.points if not index.is_done(p)]
    print(f"sweep {sweep_dir}: {len(index.points)} points, {len(index.points) - len(pending)} finished")
    if fixed:
        print(f"  every point: {' '.join(fixed)}")
    if args.slurm:
        return _slurm(args, base, index, pending, configs, common)
    if args.dry_run:
        for record in index.points:
            state = "finished" if index.is_done(record) else "to run"
            print(f"  {record.run_id} ({state}): {' '.join(record.overrides)}")
        return 0
    from noether.sweep.local import run_points

    index.save()
    unfinished = run_points(index, common, run_dir_of, print)
    print(f"sweep {sweep_dir}: {len(index.points) - unfinished} of {len(index.points)} points finished"
          + (f"; rerun the same command to retry the other {unfinished}" if unfinished else ""))
    return 1 if unfinished else 0


def _slurm(args: argparse.Namespace, base: Any, index: Any, pending: list[Any], configs: dict[str, Any],
           common: list[str]) -> int:
    from noether.core.config.loader import load_config
    from noether.core.errors import ConfigError, Issue
    from noether.slurm import SlurmScriptError, render_job_script
    from noether.sweep.index import DONE

    if base.slurm is None:
        raise ConfigError([Issue(("slurm",), "noether sweep --slurm needs a 'slurm:' section with the sbatch "
                                 "directives of each array task (time, partition, ...)")], "cannot submit")
    if not pending:
        print("every point is finished; nothing to submit")
        return 0
    array = ",".join(str(p.index) for p in pending)
    if args.max_parallel:
        array += f"%{args.max_parallel}"
    first = pending[0]
    config = load_config(args.config, [*common, *first.overrides, f"run_id={first.run_id}", f"slurm.array={array}"])
    try:
        job = render_job_script(config, args.config, common, run_id=first.run_id, grace_seconds=args.grace,
                                array_points=[(p.run_id, p.overrides) for p in pending],
                                done_dir=index.directory / DONE)
    except SlurmScriptError as exc:
        raise ConfigError([Issue(("slurm",), str(exc))], "cannot submit") from None
    if args.dry_run:
        sys.stdout.write(job.text)
        return 0
    from noether.slurm.sbatch import sbatch

    script = index.directory / "sweep.sbatch"
    job_id = sbatch(job, script, "noether sweep --slurm --dry-run", prepare=index.save)
    if isinstance(job_id, int):
        return job_id
    print(job_id)
    print(f"noether: submitted array job {job_id} ({len(pending)} points), script {script}", file=sys.stderr)
    return 0
