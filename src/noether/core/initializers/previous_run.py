"""Initializers that load weights from another run into a new model."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from noether.core.initializers.paths import checkpoint_directory, normalize_tag
from noether.core.schemas.initializers import CheckpointInitializerConfig, PreviousRunInitializerConfig
from noether.core.writers.atomic import verified_torch_load
from noether.core.writers.checkpoints import CheckpointStore, file_name

logger = logging.getLogger("noether")


class CheckpointInitializer:
    """Loads the weights file of a model from another run's checkpoint (and its optimizer if asked)."""

    def __init__(self, config: CheckpointInitializerConfig, *, output_path: Path, **_: Any) -> None:
        self.config = config
        self.directory = checkpoint_directory(output_path, config.run_id, config.stage_name)
        self.store = CheckpointStore(self.directory)

    def _weights_file(self, model_name: str) -> Path:
        tag = self.store.resolve(normalize_tag(self.config.checkpoint_tag)) if self.store.manifests() else \
            normalize_tag(self.config.checkpoint_tag)
        name = file_name(self.config.model_name or model_name, tag, "model", self.config.model_info)
        path = self.directory / name
        if not path.exists():
            raise FileNotFoundError(f"initializer: no weights file {path}")
        return path

    def load_state_dict(self, model_name: str) -> dict[str, torch.Tensor]:
        """The stored state dict (never executes code from the file)."""
        data = verified_torch_load(self._weights_file(model_name))
        return dict(data["state_dict"])

    def init_weights(self, model: torch.nn.Module) -> None:
        """Load the weights strictly."""
        model.load_state_dict(self.load_state_dict(getattr(model, "name", "model")))


class PreviousRunInitializer(CheckpointInitializer):
    """Weights only, with keys removed, renamed or re-initialised before a strict load (§4.5)."""

    def __init__(self, config: PreviousRunInitializerConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.prev_config = config

    def init_weights(self, model: torch.nn.Module) -> None:
        """Transform the loaded state dict, then load it strictly."""
        cfg = self.prev_config
        state = self.load_state_dict(getattr(model, "name", "model"))
        for key in cfg.keys_to_remove or []:
            if key not in state:
                raise KeyError(f"keys_to_remove: '{key}' is not in the checkpoint")
            del state[key]
        for pattern in cfg.patterns_to_remove or []:
            state = {k: v for k, v in state.items() if pattern not in k}
        for item in cfg.patterns_to_rename or []:
            src, dst = item["src"], item.get("dst", "")
            state = {(k.replace(src, dst) if src in k else k): v for k, v in state.items()}
        own = model.state_dict()
        for pattern in cfg.patterns_to_instantiate or []:
            for key, value in own.items():
                if pattern in key:
                    state[key] = value
        model.load_state_dict(state, strict=True)
