"""``noether.run(config)``: resolve the run, build its components, execute it.

Read :func:`run` top to bottom: :func:`resolve_run` (process layout, device, run id and directory, logging,
resolved config, resume state), :func:`build_components` (tracker, seeds, datasets, model, trainer with its
optimizers and callbacks), :func:`execute` (train, summary, tracker close).
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path
from typing import Any

import attrs

from noether.core.exit_codes import EXIT_INTERRUPTED
from noether.core.layout import RunLayout, run_directory
from noether.core.schemas import ConfigSchema
from noether.training.devices import choose_device
from noether.training.run_setup import (
    RunResult,
    apply_model_initializers,
    archive_code,
    check_plugin_versions,
    generate_run_id,
    plugin_versions,
    resume_config,
    setup_logging,
    unique_run_dir,
)

logger = logging.getLogger("noether")

__all__ = ["EXIT_INTERRUPTED", "RunResult", "choose_device", "generate_run_id", "run"]


@attrs.define
class ResolvedRun:
    """Where and how a run happens, before anything is built."""

    config: ConfigSchema
    layout: Any  # ProcessLayout
    device: Any
    created_group: bool
    run_id: str
    run_dir: Path
    same_run: bool
    hp: dict[str, Any] = attrs.field(factory=dict)
    resume: Any = None  # ResumeState
    log_handler: logging.Handler | None = None


def run(config: ConfigSchema, *, interrupt_at_update: int | None = None) -> RunResult:
    """Run the training a config describes; returns where it went and what it measured.

    ``interrupt_at_update`` stops after that update as if SIGTERM had arrived (used by ``verify-resume``).
    """
    from noether.core.registry import registry_for_plugins, use_registry
    from noether.training.signals import held_stop_signals

    if not isinstance(config, ConfigSchema):
        given = "a dict: pass noether.structure(data)" if isinstance(config, dict) else type(config).__name__
        raise TypeError("noether.run takes the root config (a ConfigSchema, from noether.load_config(path) or "
                        f"noether.structure(data)); got {given}")
    # SIGTERM/SIGUSR1 outside the loop never kill a run half-way through a file: during start-up the loop
    # stops before its first update (resumable set, exit status 75), at the end the run completes.
    with held_stop_signals(), use_registry(registry_for_plugins(config.plugins)):
        resolved = resolve_run(config)
        try:
            return _train(resolved, interrupt_at_update)
        finally:
            close_run(resolved)


def _train(resolved: ResolvedRun, interrupt_at_update: int | None) -> RunResult:
    """Build the components and train. They live in this frame only, so they are gone before ``close_run``."""
    trainer, tracker = build_components(resolved, interrupt_at_update)
    return execute(resolved, trainer, tracker)


def resolve_run(config: ConfigSchema) -> ResolvedRun:
    """Process layout, device, run id and directory (agreed by every rank), logging, resolved config, resume."""
    from noether.training.distributed import broadcast_from_rank0, detect_layout, init_process_group

    layout = detect_layout()
    device = choose_device(config.accelerator, layout.local_rank, config.devices, layout.local_world_size)
    created_group = init_process_group(layout, device, config.master_port)
    _configure_cudnn(config, device)
    resume_cfg = resume_config(config)
    same_run = resume_cfg is not None and config.run_id is not None and resume_cfg.run_id == config.run_id \
        and resume_cfg.stage_name == config.stage_name
    run_id = broadcast_from_rank0(config.run_id or generate_run_id())
    if same_run or layout.rank != 0:
        run_dir = run_directory(Path(config.output_path), run_id, config.stage_name, config.debug)
    else:
        run_id, run_dir = unique_run_dir(config, run_id)
    run_id, run_dir = broadcast_from_rank0((run_id, run_dir))
    if layout.rank == 0:
        run_dir.mkdir(parents=True, exist_ok=True)
    resolved = ResolvedRun(config, layout, device, created_group, run_id, run_dir, same_run)
    resolved.log_handler = setup_logging(RunLayout(run_dir).log, config.debug, layout.rank == 0)
    try:
        _write_resolved_config(resolved)
        logger.info("run %s in %s on %s", run_id, run_dir, device)
        if resume_cfg is not None:
            _load_resume(resolved, resume_cfg)
    except BaseException:
        close_run(resolved)
        raise
    return resolved


def _configure_cudnn(config: ConfigSchema, device: Any) -> None:
    if device.type != "cuda":
        return
    import torch

    torch.backends.cudnn.benchmark = config.cudnn_benchmark and not config.cudnn_deterministic
    if config.cudnn_deterministic:
        torch.backends.cudnn.deterministic = True
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def _write_resolved_config(resolved: ResolvedRun) -> None:
    from noether.core.config.converter import unstructure
    from noether.core.config.dump import dump_yaml
    from noether.core.writers.atomic import atomic_write_bytes

    resolved.hp = unstructure(attrs.evolve(resolved.config, run_id=resolved.run_id))
    if resolved.layout.rank == 0:
        # Atomic: a run killed while writing must not leave a half file that `noether run` of it would misread.
        atomic_write_bytes(RunLayout(resolved.run_dir).hp_resolved, dump_yaml(resolved.hp).encode("utf-8"))


def _load_resume(resolved: ResolvedRun, resume_cfg: Any) -> None:
    from noether.core.initializers.resume import ResumeInitializer
    from noether.core.writers.log_writer import truncate_metrics
    from noether.training.state import resume_update

    resume = ResumeInitializer(resume_cfg, output_path=Path(resolved.config.output_path)).load()
    resolved.resume = resume
    layout = RunLayout(resolved.run_dir)
    if resolved.layout.rank != 0:
        return
    if resolved.same_run:
        truncate_metrics(layout.metrics, resume_update(resume.trainer_state))
    elif resume.directory.parent.resolve() != resolved.run_dir.resolve():
        layout.link_ancestor(resume.directory.parent)


def build_components(resolved: ResolvedRun, interrupt_at_update: int | None) -> tuple[Any, Any]:
    """Tracker, seeds, datasets, model (with initializers), then the trainer that trains it."""
    from noether.core.registry import get_registry
    from noether.data.dataset import build_dataset
    from noether.training.context import RunContext
    from noether.training.rng import seed_everything

    config, layout, registry = resolved.config, resolved.layout, get_registry()
    tracker: Any = None
    if layout.rank == 0 and config.tracker is not None and not config.debug:
        tracker = registry.build("tracker", config.tracker, run_dir=resolved.run_dir,
                                 run_name=config.name or resolved.run_id, run_id=resolved.run_id, hp=resolved.hp)
        if resolved.resume is not None and resolved.same_run:
            _tell_resume(tracker, resolved)
    seed_everything(config.seed + layout.rank)
    datasets = {key: build_dataset(ds, statistics=config.dataset_statistics, normalizers=config.dataset_normalizer,
                                   name=key, seed=config.seed) for key, ds in config.datasets.items()}
    num_workers = config.num_workers
    if num_workers is None:
        num_workers = 0 if resolved.device.type == "cpu" else max(0, (os.cpu_count() or 1) // layout.world_size - 1)
    context = RunContext(
        run_dir=resolved.run_dir, run_id=resolved.run_id, datasets=datasets, train_dataset_key=config.train_dataset_key,
        device=resolved.device, seed=config.seed, tracker=tracker, rank=layout.rank, world_size=layout.world_size,
        num_workers=num_workers, resolved_config=resolved.hp, resume=resolved.resume,
        plugin_versions=plugin_versions())
    check_plugin_versions(resolved.resume, context.plugin_versions)
    try:
        model = registry.build("model", config.model)
        apply_model_initializers(model, Path(config.output_path))
        model.apply_freeze()
        if config.store_code_in_output and layout.rank == 0:
            archive_code(RunLayout(resolved.run_dir).code_archive)
        trainer = registry.build("trainer", config.trainer, context=context, model=model,
                                 interrupt_at_update=interrupt_at_update)
    except BaseException:
        if tracker is not None:  # the tracker's run must not stay "running"
            tracker.close()
        raise
    return trainer, tracker


def _tell_resume(tracker: Any, resolved: ResolvedRun) -> None:
    """A tracker that appends drops what a resumed run logs again (the steps after the checkpoint)."""
    from noether.training.state import resume_update

    resumed_at = getattr(tracker, "resumed_at", None)
    if callable(resumed_at):
        resumed_at(resume_update(resolved.resume.trainer_state))


def execute(resolved: ResolvedRun, trainer: Any, tracker: Any) -> RunResult:
    """Train, then write the summary (also after a signal stop) and close the tracker (also after a failure)."""
    from noether.core.writers.atomic import atomic_write_json
    from noether.training.trainer import TrainingInterrupted

    interrupted = False
    try:
        try:
            trainer.train()
        except TrainingInterrupted as exc:
            logger.warning("%s; resume with run_id=%s resume_run_id=%s", exc, resolved.run_id, resolved.run_id)
            interrupted = True
        summary = {**trainer.log_writer.summary_flat(), **trainer.summary}
        if resolved.layout.rank == 0:
            layout = RunLayout(resolved.run_dir)
            atomic_write_json(layout.summary, summary)
            _mark_interrupted(layout, interrupted, getattr(trainer, "_interrupt_tag", ""))
        if tracker is not None:
            tracker.set_summary(summary)
    finally:
        if tracker is not None:
            tracker.close()
    counter = trainer.counter
    return RunResult(resolved.run_dir, resolved.run_id, counter.epoch, counter.update, counter.sample,
                     dict(trainer.log_writer.last_values), summary, interrupted, resolved.layout.rank,
                     resolved.config.stage_name)


def _mark_interrupted(layout: RunLayout, interrupted: bool, tag: str) -> None:
    """``interrupted.json`` while the run is stopped by a signal: under torchrun every worker's status 75 turns
    into the launcher's 1, so scripts read this file instead (``docs/checkpoints-and-resume.md``)."""
    from noether.core.writers.atomic import atomic_write_json

    if interrupted:
        atomic_write_json(layout.interrupted_marker, {"exit_status": EXIT_INTERRUPTED, "checkpoint": tag})
    else:
        layout.interrupted_marker.unlink(missing_ok=True)


def close_run(resolved: ResolvedRun) -> None:
    """Remove the run's log file handler and leave the process group."""
    from noether.training.distributed import destroy_process_group

    if resolved.log_handler is not None:
        logging.getLogger("noether").removeHandler(resolved.log_handler)
        resolved.log_handler.close()
        resolved.log_handler = None
    if resolved.created_group:  # after a failure, leave at once: peers may never reach the barrier
        resolved.created_group = False
        # The model's DDP/FSDP state holds the process group inside reference cycles. Free it now, while the
        # interpreter is whole, rather than at its shutdown, where a gloo rank of a finished FSDP run once
        # aborted in CI ("terminate called without an active exception").
        gc.collect()
        destroy_process_group(wait_for_peers=sys.exc_info()[0] is None)
