"""ResumeInitializer: everything needed to continue a run from a checkpoint set, exactly."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import attrs

from noether.core.initializers.paths import checkpoint_directory, normalize_tag
from noether.core.schemas.initializers import ResumeInitializerConfig
from noether.core.writers.checkpoints import CheckpointStore, split_file_name

logger = logging.getLogger("noether")


@attrs.define
class ResumeState:
    """The loaded files of one checkpoint set."""

    tag: str
    directory: Path
    trainer_state: dict[str, Any]
    model_states: dict[str, dict[str, Any]]
    optim_states: dict[str, dict[str, Any]]


class ResumeInitializer:
    """Loads a complete checkpoint set (``latest`` by default) of ``run_id``/``stage_name``."""

    def __init__(self, config: ResumeInitializerConfig, *, output_path: Path, **_: Any) -> None:
        self.config = config
        self.directory = checkpoint_directory(output_path, config.run_id, config.stage_name)

    def load(self) -> ResumeState:
        """Read and verify the set; a damaged ``latest`` falls back to the newest complete set."""
        store = CheckpointStore(self.directory)
        if not self.directory.is_dir():
            raise FileNotFoundError(f"cannot resume: no checkpoints directory {self.directory}")
        manifest, objects = store.load_resumable(normalize_tag(self.config.checkpoint_tag))
        tag = manifest["tag"]
        models: dict[str, dict[str, Any]] = {}
        optims: dict[str, dict[str, Any]] = {}
        trainer: dict[str, Any] | None = None
        for name, obj in objects.items():
            owner, what = split_file_name(name, tag)
            if what == "model":
                models[owner] = obj
            elif what == "optim":
                optims[owner] = obj
            elif what == "trainer":
                trainer = obj
        if trainer is None:
            raise ValueError(
                f"checkpoint '{tag}' in {self.directory} has no trainer state, so it cannot be resumed from; "
                "load its weights with a PreviousRunInitializer instead"
            )
        logger.info("resuming from checkpoint '%s' in %s (update %s)", tag, self.directory,
                    manifest["training_iteration"].get("update"))
        return ResumeState(tag, self.directory, trainer, models, optims)
