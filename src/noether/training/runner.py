"""``noether.run(config)``: set up a run directory, build every component, train, summarise.

Set-up order: device -> process layout -> run id and directory -> logging -> resolved config -> tracker ->
seeds -> datasets -> trainer -> model (+ initializers) -> code archive -> ``trainer.train(model)`` -> summary.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs

from noether.core.schemas import ConfigSchema

logger = logging.getLogger("noether")

#: Exit status of ``noether run`` when a signal stopped training after a checkpoint (resumable).
EXIT_INTERRUPTED = 75


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


def generate_run_id() -> str:
    """``YYYY-MM-DD_`` plus five random characters from ``[a-z0-9]``."""
    alphabet = string.ascii_lowercase + string.digits
    return datetime.date.today().isoformat() + "_" + "".join(secrets.choice(alphabet) for _ in range(5))


def choose_device(accelerator: str | None, local_rank: int = 0) -> Any:
    """The device for ``accelerator`` (``None``: CUDA, else MPS, else CPU), decided now, not at import."""
    import torch

    if accelerator is None:
        if torch.cuda.is_available():
            accelerator = "gpu"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            accelerator = "mps"
        else:
            accelerator = "cpu"
    if accelerator == "gpu":
        if not torch.cuda.is_available():
            raise RuntimeError("accelerator 'gpu' was requested but CUDA is not available")
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    if accelerator == "mps":
        return torch.device("mps")
    return torch.device("cpu")


def _setup_logging(run_dir: Path | None, debug: bool, is_rank0: bool) -> logging.Handler | None:
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
    if run_dir is None or not is_rank0:
        return None
    handler = logging.FileHandler(run_dir / "log.txt", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    return handler


def _archive_code(run_dir: Path) -> None:
    """``git archive`` of the working tree (uncommitted changes included); a failure only warns."""
    try:
        stash = subprocess.run(["git", "stash", "create"], capture_output=True, text=True, timeout=30)
        if stash.returncode != 0:
            raise RuntimeError(stash.stderr.strip() or "not a git repository")
        ref = stash.stdout.strip() or "HEAD"
        out = subprocess.run(["git", "archive", "-o", str(run_dir / "code.tar.gz"), ref],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip())
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        logger.warning("store_code_in_output: could not archive the code (%s); continuing", exc)


def _plugin_versions() -> dict[str, str]:
    from noether.core.registry import get_registry

    registry = get_registry()
    registry.ensure_loaded()
    return {p.distribution: p.version for p in registry.plugins}


def _unique_run_dir(config: ConfigSchema, run_id: str) -> tuple[str, Path]:
    from noether.core.initializers.paths import run_directory

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


def _resume_config(config: ConfigSchema) -> Any:
    """The trainer-level resume initializer: ``trainer.initializer`` or one built from ``resume_run_id``."""
    from noether.core.schemas import ResumeInitializerConfig

    if isinstance(config.trainer.initializer, ResumeInitializerConfig):
        return config.trainer.initializer
    if config.resume_run_id is None:
        return None
    tag = config.resume_checkpoint or "latest"
    return ResumeInitializerConfig(run_id=config.resume_run_id, stage_name=config.resume_stage_name,
                                   model_name=config.model.name, checkpoint_tag=tag)


def run(config: ConfigSchema, *, interrupt_at_update: int | None = None) -> RunResult:
    """Run the training a config describes; returns where it went and what it measured.

    ``interrupt_at_update`` stops after that update as if SIGTERM had arrived (used by ``verify-resume``).
    """
    import torch

    from noether.core.config.converter import unstructure
    from noether.core.config.dump import dump_yaml
    from noether.core.initializers.resume import ResumeInitializer
    from noether.core.registry import get_registry
    from noether.core.writers.log_writer import truncate_metrics
    from noether.data.dataset import build_dataset
    from noether.training.context import RunContext
    from noether.training.distributed import destroy_process_group, detect_layout, init_process_group
    from noether.training.rng import seed_everything
    from noether.training.trainer import TrainingInterrupted

    registry = get_registry()
    layout = detect_layout()
    device = choose_device(config.accelerator, layout.local_rank)
    created_group = init_process_group(layout, device, config.master_port)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = config.cudnn_benchmark and not config.cudnn_deterministic
        if config.cudnn_deterministic:
            torch.backends.cudnn.deterministic = True
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

    resume_config = _resume_config(config)
    same_run = resume_config is not None and config.run_id is not None and resume_config.run_id == config.run_id \
        and resume_config.stage_name == config.stage_name
    run_id = config.run_id or generate_run_id()
    if layout.is_distributed:
        holder = [run_id]
        torch.distributed.broadcast_object_list(holder, src=0)
        run_id = holder[0]
    from noether.core.initializers.paths import run_directory

    if same_run or layout.rank != 0:
        run_dir = run_directory(Path(config.output_path), run_id, config.stage_name, config.debug)
    else:
        run_id, run_dir = _unique_run_dir(config, run_id)
    if layout.is_distributed:
        holder2: list[Any] = [run_id, str(run_dir)]
        torch.distributed.broadcast_object_list(holder2, src=0)
        run_id, run_dir = holder2[0], Path(holder2[1])
    if layout.rank == 0:
        run_dir.mkdir(parents=True, exist_ok=True)
    file_handler = _setup_logging(run_dir, config.debug, layout.rank == 0)
    try:
        resolved = attrs.evolve(config, run_id=run_id)
        hp = unstructure(resolved)
        if layout.rank == 0:
            (run_dir / "hp_resolved.yaml").write_text(dump_yaml(hp), encoding="utf-8")
        logger.info("run %s in %s on %s", run_id, run_dir, device)

        resume_state = None
        if resume_config is not None:
            resume_state = ResumeInitializer(resume_config, output_path=Path(config.output_path)).load()
            if same_run and layout.rank == 0:
                truncate_metrics(run_dir / "metrics.jsonl",
                                 int(resume_state.trainer_state["training_iteration"]["update"]))
            elif layout.rank == 0 and resume_state.directory.parent != run_dir:
                link = run_dir / "ancestor"
                if not link.exists():
                    link.symlink_to(resume_state.directory.parent, target_is_directory=True)

        tracker: Any = None
        if layout.rank == 0 and config.tracker is not None and not config.debug:
            run_name = config.name or run_id
            tracker = registry.build("tracker", config.tracker, run_dir=run_dir, run_name=run_name,
                                     run_id=run_id, hp=hp)

        seed_everything(config.seed + layout.rank)
        datasets = {
            key: build_dataset(ds, statistics=config.dataset_statistics, normalizers=config.dataset_normalizer,
                               name=key, seed=config.seed)
            for key, ds in config.datasets.items()
        }
        num_workers = config.num_workers
        if num_workers is None:
            num_workers = 0 if device.type == "cpu" else max(0, (os.cpu_count() or 1) // layout.world_size - 1)
        context = RunContext(
            run_dir=run_dir, run_id=run_id, datasets=datasets, train_dataset_key=config.train_dataset_key,
            device=device, seed=config.seed, tracker=tracker, rank=layout.rank, world_size=layout.world_size,
            num_workers=num_workers, resolved_config=hp, resume=resume_state, plugin_versions=_plugin_versions(),
        )
        _check_plugin_versions(resume_state, context.plugin_versions)
        trainer = registry.build("trainer", config.trainer, context=context)
        if interrupt_at_update is not None:
            trainer.interrupt_at_update = interrupt_at_update
        model = registry.build("model", config.model)
        _apply_model_initializers(model, Path(config.output_path))
        model.apply_freeze()
        if config.store_code_in_output and layout.rank == 0:
            _archive_code(run_dir)

        interrupted = False
        try:
            try:
                trainer.train(model)
            except TrainingInterrupted as exc:
                logger.warning("%s; resume with resume_run_id=%s", exc, run_id)
                interrupted = True
            summary = {**trainer.log_writer.summary_flat(), **trainer.summary}
            if layout.rank == 0:
                (run_dir / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True),
                                                      encoding="utf-8")
            if tracker is not None:
                tracker.set_summary(summary)
        finally:
            if tracker is not None:  # also after a failure: the tracker's run must not stay "running"
                tracker.close()
        counter = trainer.counter
        return RunResult(run_dir, run_id, counter.epoch, counter.update, counter.sample,
                         dict(trainer.log_writer.last_values), summary, interrupted)
    finally:
        if file_handler is not None:
            logging.getLogger("noether").removeHandler(file_handler)
            file_handler.close()
        if created_group:  # after a failure, leave at once: peers may never reach the barrier
            destroy_process_group(wait_for_peers=sys.exc_info()[0] is None)


def _apply_model_initializers(model: Any, output_path: Path) -> None:
    from noether.core.registry import get_registry

    registry = get_registry()
    for name, leaf in model.leaf_models():
        for init_config in leaf.config.initializers or []:
            initializer = registry.build("initializer", init_config, output_path=output_path)
            logger.info("initializing %s with %s", name, type(initializer).__name__)
            initializer.init_weights(leaf)


def _check_plugin_versions(resume_state: Any, current: dict[str, str]) -> None:
    if resume_state is None:
        return
    saved = resume_state.trainer_state.get("plugins") or {}
    for dist, version in sorted(saved.items()):
        now = current.get(dist)
        if now != version:
            logger.warning("plugin %s was %s when the checkpoint was written and is %s now", dist, version,
                           now or "not installed")
