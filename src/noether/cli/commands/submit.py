"""``noether submit CFG [OVERRIDES...] [--dry-run]``: run a config as a requeueable SLURM job (sbatch).

The config is validated first: a broken config queues nothing (exit status 2 with every problem located).
No torch import here.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register the ``submit`` subcommand."""
    p = subparsers.add_parser(
        "submit",
        help="submit a config as a SLURM job (sbatch)",
        description="Validate CFG (with OVERRIDES), render an sbatch script from its 'slurm' section and "
        "submit it. The job runs `srun noether run CFG OVERRIDES run_id=<id>`; on the preemption signal it "
        "checkpoints and requeues itself, and the requeued job resumes from its latest checkpoint into the "
        "same run directory. The script is written to <output_path>/slurm/<run_id>.sbatch.",
    )
    p.add_argument("config", help="path to the YAML config (it needs a 'slurm:' section)")
    p.add_argument("overrides", nargs="*", help="dotted overrides, e.g. trainer.max_epochs=5")
    p.add_argument("--dry-run", action="store_true", help="print the job script; submit nothing")
    p.add_argument("--grace", type=int, default=120, metavar="SECONDS",
                   help="ask SLURM for the preemption signal this long before the time limit (default: 120)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate, render, then print (``--dry-run``) or submit with sbatch and print the job id."""
    from noether.core.config.compose import load_document
    from noether.core.config.loader import locate, structure_document
    from noether.core.errors import ConfigError, Issue
    from noether.slurm import SlurmScriptError, SlurmShapeError, render_job_script
    from noether.training.runner import generate_run_id

    doc = load_document(args.config, args.overrides, defer_errors=True)
    config = structure_document(doc)  # ConfigError -> located messages, exit status 2
    if config.slurm is None:
        raise ConfigError([Issue(("slurm",), "noether submit needs a 'slurm:' section with the sbatch "
                                 "directives of the job (time, partition, nodes, ...)")], "cannot submit")
    run_id = config.run_id or generate_run_id()
    try:
        job = render_job_script(config, args.config, args.overrides, run_id=run_id, grace_seconds=args.grace)
    except SlurmShapeError as exc:
        # Nodes, tasks and GPUs that do not fit together: each problem at its field, located in the file.
        raise locate(ConfigError(exc.issues, "cannot submit"), doc) from None
    except SlurmScriptError as exc:
        raise ConfigError([Issue(("slurm",), str(exc))], "cannot submit") from None
    if args.dry_run:
        sys.stdout.write(job.text)
        return 0

    from noether.slurm.sbatch import sbatch

    job_id = sbatch(job, job.script_path, "noether submit --dry-run")
    if isinstance(job_id, int):
        return job_id
    print(job_id)
    print(f"noether: submitted job {job_id}: run {job.run_id} ({job.run_dir}), script {job.script_path}",
          file=sys.stderr)
    return 0
