"""The pieces of a run's set-up that need no trainer: run ids and directories, logging, code archive, the
resume initializer of a config, model initializers, plugin versions, and what a run returns."""

from __future__ import annotations

import datetime
import logging
import secrets
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs

from noether.core.layout import run_directory
from noether.core.schemas import ConfigSchema

logger = logging.getLogger("noether")


@attrs.frozen
class RunResult:
    """What a finished run produced."""

    run_dir: Path
    run_id: str
    epoch: int
    update: int
    sample: int
    #: Last logged value of every metric.
    last_metrics: dict[str, Any]
    #: ``<metric>/min|max|last`` plus dataset sizes and parameter counts.
    summary: dict[str, Any]
    #: Whether a signal stopped the run early (a resumable checkpoint was written).
    interrupted: bool = False
    #: This process's rank.
    rank: int = 0
    #: The run's stage, if any.
    stage_name: str | None = None


def generate_run_id() -> str:
    """``YYYY-MM-DD_`` plus five random characters from ``[a-z0-9]``."""
    alphabet = string.ascii_lowercase + string.digits
    return datetime.date.today().isoformat() + "_" + "".join(secrets.choice(alphabet) for _ in range(5))


def setup_logging(log_file: Path | None, debug: bool, is_rank0: bool) -> logging.Handler | None:
    """Console logging for the ``noether`` logger (once per process) and, on rank 0, the run's log file."""
    log = logging.getLogger("noether")
    if debug:
        log.setLevel(logging.DEBUG)
    elif log.level == logging.NOTSET:  # an embedding application may have chosen a level already
        log.setLevel(logging.INFO)
    if not is_rank0:  # other ranks print warnings and errors only: metrics and progress appear once
        log.setLevel(logging.WARNING)
    if not any(getattr(h, "_noether_console", False) for h in log.handlers):
        console = logging.StreamHandler(sys.stdout)
        console.setFormatter(logging.Formatter("%(asctime)s %(levelname).1s %(message)s", "%H:%M:%S"))
        console._noether_console = True  # type: ignore[attr-defined]
        log.addHandler(console)
    log.propagate = False
    if log_file is None or not is_rank0:
        return None
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    return handler


def archive_code(target: Path) -> None:
    """``git archive`` of the working tree (uncommitted changes included) into ``target``; a failure only warns."""
    try:
        stash = subprocess.run(["git", "stash", "create"], capture_output=True, text=True, timeout=30)
        if stash.returncode != 0:
            raise RuntimeError(stash.stderr.strip() or "not a git repository")
        ref = stash.stdout.strip() or "HEAD"
        out = subprocess.run(["git", "archive", "-o", str(target), ref], capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip())
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        logger.warning("store_code_in_output: could not archive the code (%s); continuing", exc)


def plugin_versions() -> dict[str, str]:
    """``{distribution: version}`` of every loaded plugin."""
    from noether.core.registry import get_registry

    registry = get_registry()
    registry.ensure_loaded()
    return {p.distribution: p.version for p in registry.plugins}


def unique_run_dir(config: ConfigSchema, run_id: str) -> tuple[str, Path]:
    """``run_id`` and its directory, or ``<run_id>.<n>`` when that directory exists and is not empty."""
    candidate = run_id
    suffix = 1
    while True:
        run_dir = run_directory(Path(config.output_path), candidate, config.stage_name, config.debug)
        if not run_dir.exists() or not any(run_dir.iterdir()):
            if candidate != run_id:
                logger.warning("run directory of '%s' exists already; this run is '%s'", run_id, candidate)
            return candidate, run_dir
        candidate = f"{run_id}.{suffix}"
        suffix += 1


def resume_config(config: ConfigSchema) -> Any:
    """The trainer-level resume initializer: ``trainer.initializer`` or one built from ``resume_run_id``."""
    from noether.core.schemas import ResumeInitializerConfig

    if isinstance(config.trainer.initializer, ResumeInitializerConfig):
        return config.trainer.initializer
    if config.resume_run_id is None:
        return None
    tag = config.resume_checkpoint or "latest"
    return ResumeInitializerConfig(run_id=config.resume_run_id, stage_name=config.resume_stage_name,
                                   model_name=config.model.name, checkpoint_tag=tag)


def apply_model_initializers(model: Any, output_path: Path) -> None:
    """Run every leaf model's configured initializers."""
    from noether.core.registry import get_registry

    registry = get_registry()
    for name, leaf in model.leaf_models():
        for init_config in leaf.config.initializers or []:
            initializer = registry.build("initializer", init_config, output_path=output_path)
            logger.info("initializing %s with %s", name, type(initializer).__name__)
            initializer.init_weights(leaf)


def check_plugin_versions(resume_state: Any, current: dict[str, str]) -> None:
    """Warn about plugins whose version differs from the one that wrote the checkpoint."""
    if resume_state is None:
        return
    from noether.training.state import saved_plugins

    for dist, version in sorted(saved_plugins(resume_state.trainer_state).items()):
        now = current.get(dist)
        if now != version:
            logger.warning("plugin %s was %s when the checkpoint was written and is %s now", dist, version,
                           now or "not installed")
