"""``noether verify-resume CFG``: prove that stopping and resuming gives bit-identical results."""

from __future__ import annotations

import argparse
import sys
from typing import Any

#: Exit status for options that cannot work together.
EXIT_USAGE = 2


def add_parser(subparsers: Any) -> None:
    """Register the ``verify-resume`` subcommand."""
    p = subparsers.add_parser(
        "verify-resume",
        help="train N updates straight and again interrupted at K and resumed; compare bit for bit",
        description="Runs CFG for N updates without interruption, then again stopped after update K (as by "
        "SIGTERM) and resumed from its checkpoint; compares weights, optimizer state, the whole metrics file, the "
        "summary, best_model sets and the callback states of the last checkpoint. "
        "Exit status 0 when identical, 1 with the first difference otherwise.",
    )
    p.add_argument("config", help="path to the YAML config")
    p.add_argument("overrides", nargs="*", help="dotted overrides")
    p.add_argument("--updates", type=int, default=20, help="length N of both runs in updates (default 20)")
    p.add_argument("--interrupt-at", type=int, default=None, help="update K to stop at (default N // 2 + 1)")
    p.add_argument("--kill", action="store_true",
                   help="SIGKILL the interrupted run right after its checkpoint of update K instead of a clean stop")
    p.add_argument("--output-path", default=None, help="where the three runs go (default: a temporary dir)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run both variants and report."""
    import tempfile

    if args.updates < 2:
        print(f"noether verify-resume: --updates must be at least 2, got {args.updates}", file=sys.stderr)
        return EXIT_USAGE
    if args.interrupt_at is not None and not 1 <= args.interrupt_at <= args.updates - 1:
        print(f"noether verify-resume: --interrupt-at must lie between 1 and {args.updates - 1} (--updates "
              f"{args.updates}), got {args.interrupt_at}", file=sys.stderr)
        return EXIT_USAGE
    from noether.cli.collector import imports_paused
    from noether.core.config.loader import load_config

    with imports_paused(args):
        from noether.training.verify import verify_resume

    shared = None if args.output_path else _shared_output_under_launcher()
    with tempfile.TemporaryDirectory(prefix="noether-verify-") as tmp:
        output = args.output_path or shared or tmp
        base = [*args.overrides, f"output_path={output}", "store_code_in_output=false"]
        config = load_config(args.config, base)
        report = verify_resume(config, updates=args.updates, interrupt_at=args.interrupt_at, kill=args.kill)
    print(report.text())
    return 0 if report.identical else 1


def _shared_output_under_launcher() -> str | None:
    """Under torchrun or srun with several processes: one directory that every rank of this launch names alike.

    Each rank making its own temporary directory would split one run's files (rank 0's checkpoints, every
    rank's shards) over several places. The directory is named after the launch (torchrun's run id and
    rendezvous port, or SLURM's job and step) and kept afterwards, since no rank knows when the others are
    done with it. On several nodes, pass --output-path on a shared file system.
    """
    import os
    import tempfile

    from noether.training.distributed import detect_layout

    if not detect_layout().is_distributed:
        return None
    env = os.environ
    launch = "-".join(env.get(k, "") for k in ("TORCHELASTIC_RUN_ID", "MASTER_PORT", "SLURM_JOB_ID", "SLURM_STEP_ID"))
    return os.path.join(tempfile.gettempdir(), f"noether-verify-{launch.strip('-') or 'shared'}")
