"""``noether run CFG [OVERRIDES...]``: validate the config, then train."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import TYPE_CHECKING, Any

from noether.core.exit_codes import EXIT_INTERRUPTED

if TYPE_CHECKING:
    from noether.core.errors import ConfigError

#: Overrides that ``continue_command`` sets itself.
_RUN_KEYS = ("run_id=", "resume_run_id=", "resume_stage_name=", "resume_checkpoint=")


def add_parser(subparsers: Any) -> None:
    """Register the ``run`` subcommand."""
    p = subparsers.add_parser(
        "run",
        help="train from a config",
        description="Validate CFG (with OVERRIDES such as trainer.max_epochs=5) and train. The run directory "
        "(output_path/run_id[/stage_name]) receives the resolved config, log, metrics and checkpoints.",
    )
    p.add_argument("config", help="path to the YAML config")
    p.add_argument("overrides", nargs="*", help="dotted overrides, e.g. trainer.max_epochs=5")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Load, validate, train; exit status 75 when a signal stopped training after a checkpoint."""
    from noether.core.config.loader import load_config
    from noether.core.errors import ConfigError

    config = load_config(args.config, args.overrides)
    from noether.cli.collector import imports_paused

    with imports_paused(args):
        from noether.training.distributed import is_reporting_process
        from noether.training.runner import run as run_training

    try:
        result = run_training(config)
    except ConfigError as exc:  # found while training (a property the batch lacks): say where it was written
        raise located(exc, args.config, args.overrides) from None
    reporting = result.rank == 0 and is_reporting_process()  # one report per job, not per process
    if result.interrupted:
        if reporting:
            command = continue_command(args.config, args.overrides, result.run_id, result.stage_name)
            print(f"training was interrupted; continue this run in place with:\n  {command}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if reporting:
        final = {k: v for k, v in result.last_metrics.items()
                 if isinstance(v, float) and not k.startswith(("loss/online/", "train_time/", "optim/"))}
        for key, value in sorted(final.items()):
            print(f"{key}: {value:.6g}")
        print(f"run directory: {result.run_dir}")
    return 0


def located(error: ConfigError, config_path: str, overrides: list[str]) -> ConfigError:
    """``error`` with the ``file:line`` (or the override) each of its issues came from, where it can be found."""
    from noether.core.config.compose import load_document
    from noether.core.config.loader import locate

    try:
        return locate(error, load_document(config_path, overrides, defer_errors=True))
    except Exception:  # the file changed or vanished since the run began: the paths alone still say what
        return error


def continue_command(config_path: str, overrides: list[str], run_id: str, stage_name: str | None) -> str:
    """The ``noether run`` command line that continues run ``run_id`` in its own directory, from ``latest``."""
    kept = [o for o in overrides if not o.startswith(_RUN_KEYS)]
    extra = [f"run_id={run_id}", f"resume_run_id={run_id}"]
    if stage_name:
        extra.append(f"resume_stage_name={stage_name}")
    return shlex.join(["noether", "run", config_path, *kept, *extra])
